/**
 * Sign-in: an admin token is exchanged for a server-side session.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import { Layout, Notice } from "../views.tsx";

/** The sign-in page. */
export const LoginPage: FC<{ csrf: string; error?: string; info?: string }> = (p) => (
  <Layout title="Sign in" section="none" viewer={null}>
    <h1>Sign in to the kt console</h1>
    {p.info && <Notice kind="ok">{p.info}</Notice>}
    {p.error && <Notice kind="error">{p.error}</Notice>}
    <form method="post" action="/console/login" class="stack">
      <input type="hidden" name="_csrf" value={p.csrf} />
      <div class="field">
        <label for="token">Admin token</label>
        <input
          id="token"
          type="password"
          name="token"
          required
          autocomplete="off"
          spellcheck={false}
          autofocus
        />
        <p class="muted">
          The token printed by the first <code>kt-control-plane serve</code>, or one made with{" "}
          <code>POST /v1/admin/tokens</code>. It is checked once and never stored in your browser; the session
          ends when you sign out, after an hour without use, or after 8 hours.
        </p>
      </div>
      <div class="row">
        <button type="submit">Sign in</button>
      </div>
    </form>
  </Layout>
);
