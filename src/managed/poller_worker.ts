/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The managed-mode worker: owns every conversation with the control plane
 * (polls, validation, `store` secrets, status reports, event uploads) so the
 * serving thread only compiles and swaps validated configs.
 *
 * It is spawned with narrowed permissions (see `host.ts`): network to the
 * control plane's host:port only, no files, no environment (except the two
 * names the npm `yaml` package reads), no subprocesses, no FFI. Its settings and
 * the gateway token arrive by `postMessage`.
 *
 * @module
 */
import { importPublicKey } from "../config/signature.ts";
import { registerSecret } from "../observability/log.ts";
import { policyKindInfo } from "../policy/registry.ts";
import { Poller, type PollerHost } from "./poller.ts";
import type { FromWorker, StatusInfo, ToWorker } from "./protocol.ts";

const post = (msg: FromWorker) => self.postMessage(msg);
const waiting = new Map<number, (msg: ToWorker) => void>();
let nextId = 1;
let poller: Poller | undefined;

function call<T extends ToWorker>(msg: FromWorker & { id: number }): Promise<T> {
  return new Promise((resolve) => {
    waiting.set(msg.id, (reply) => resolve(reply as T));
    post(msg);
  });
}

const host: PollerHost = {
  async applyConfig(config) {
    const reply = await call<Extract<ToWorker, { type: "applied" }>>({
      type: "config",
      id: nextId++,
      ...config,
    });
    return reply.ok ? { ok: true } : { ok: false, error: reply.error };
  },
  async statusInfo(): Promise<StatusInfo> {
    const reply = await call<Extract<ToWorker, { type: "status-info" }>>({
      type: "status-request",
      id: nextId++,
    });
    return reply.info;
  },
  pollResult(result, failure) {
    post({ type: "poll", result, ...(failure ? { failure } : {}) });
  },
  log(level, msg, fields) {
    post({ type: "log", level, msg, ...(fields ? { fields } : {}) });
  },
  eventsDropped(count) {
    post({ type: "events-dropped", count });
  },
};

async function init(msg: Extract<ToWorker, { type: "init" }>): Promise<void> {
  const settings = msg.settings;
  registerSecret(settings.token);
  const publicKey = settings.publicKeyPem ? await importPublicKey(settings.publicKeyPem) : undefined;
  poller = new Poller(settings, host, { policyKinds: policyKindInfo(), publicKey });
  poller.start(msg.serving);
  post({ type: "started" });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case "init":
      init(msg).catch((err) => {
        host.log("error", "managed mode: the poller could not start", { error: String(err) });
        post({ type: "fatal", error: err instanceof Error ? err.message : String(err) });
      });
      break;
    case "applied":
    case "status-info": {
      const resolve = waiting.get(msg.id);
      waiting.delete(msg.id);
      resolve?.(msg);
      break;
    }
    case "events":
      poller?.addEvents(msg.events);
      break;
    case "flush":
      (poller ? poller.flush(msg.deadlineMs) : Promise.resolve(0)).then(
        (pending) => post({ type: "flushed", id: msg.id, pending }),
        () => post({ type: "flushed", id: msg.id, pending: poller?.bufferedEvents ?? 0 }),
      );
      break;
    case "shutdown":
      (poller?.stop() ?? Promise.resolve()).finally(() => post({ type: "stopped" }));
      break;
  }
};
