/**
 * Unit checks of the field walk's building blocks: JSON paths, duplicate keys, JSON-text arguments,
 * JSON Schemas and encoded files, each read and written back.
 */
import assert from "node:assert/strict";
import { countKeys, duplicateKeyPath, formatPath, scanJson } from "../../src/gateway/json_scan.ts";
import { CLIENT_APIS, DEFAULT_COVERAGE, readRequest } from "../../src/gateway/apis/mod.ts";
import { applySlots } from "../../src/gateway/apis/content.ts";
import { GatewayError } from "../../src/gateway/errors.ts";
import type { TextSegment } from "../../src/policy/types.ts";

const enc = new TextEncoder();

Deno.test("json paths: arrays by index, odd keys quoted", () => {
  assert.equal(formatPath(["messages", 2, "content", 0, "text"]), "messages[2].content[0].text");
  assert.equal(formatPath(["metadata", "a.b", "c d"]), 'metadata["a.b"]["c d"]');
  assert.equal(formatPath([]), "$");
});

Deno.test("duplicate keys: counted by the byte scan, found with their path, escapes unescaped", () => {
  for (
    const [text, path] of [
      ['{"a":1,"a":2}', "a"],
      ['{"m":[{"x":1},{"c":"1","\\u0063":"2"}]}', "m[1].c"],
      ['{"s":"a:b\\":c","t":{"u":{"v":1,"v":1}}}', "t.u.v"],
      ['{"a":{"b":1},"c":[{"b":1}]}', undefined],
    ] as const
  ) {
    const json = JSON.parse(text);
    assert.equal(countKeys(json) !== scanJson(enc.encode(text)).keys, path !== undefined, text);
    assert.equal(duplicateKeyPath(text), path);
  }
});

/** Reads a chat request, replaces each segment's text with `fn(text)`, and writes it back. */
function rewrite(body: Record<string, unknown>, fn: (t: string) => string): Record<string, unknown> {
  const content = readRequest(CLIENT_APIS.chat, body, DEFAULT_COVERAGE, true);
  const out: TextSegment[] = content.segments.map((s) => ({ ...s, text: fn(s.text) }));
  return applySlots(body, content.slots, content.segments, out);
}

Deno.test("JSON Schemas: every text and property name is read as one segment and rebuilt in place", () => {
  const body = {
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    tools: [{
      type: "function",
      function: {
        name: "f",
        parameters: {
          type: "object",
          properties: {
            secret_field: { type: "string", description: "a secret", enum: ["secret one", "b"] },
          },
          required: ["secret_field"],
        },
      },
    }],
  };
  const content = readRequest(CLIENT_APIS.chat, body, DEFAULT_COVERAGE, true);
  const schema = content.segments.filter((s) => s.source === "tools" && s.text.includes("\n"));
  assert.equal(schema.length, 1);
  assert.equal(schema[0].text, "secret_field\na secret\nsecret one\nb\nsecret_field");
  const out = rewrite(body, (t) => t.replaceAll("secret", "X"));
  // deno-lint-ignore no-explicit-any
  const params = (out as any).tools[0].function.parameters;
  assert.deepEqual(params, {
    type: "object",
    properties: { X_field: { type: "string", description: "a X", enum: ["X one", "b"] } },
    required: ["X_field"],
  });
  assert.equal(
    body.tools[0].function.parameters.required[0],
    "secret_field",
    "the client's body is not mutated",
  );
  assert.throws(
    () => rewrite(body, (t) => t.replaceAll("\n", " ")),
    (e) => e instanceof GatewayError && e.code === "input_blocked",
    "a rewrite across the schema's texts blocks instead of guessing",
  );
});

Deno.test("tool-call arguments: each JSON string token is a segment; the JSON stays valid", () => {
  const args = '{"to": "a@b.c", "cc": ["x\\"y"], "n": 1}';
  const body = {
    model: "m",
    messages: [
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: args } }],
      },
    ],
  };
  const out = rewrite(body, (t) => t === "a@b.c" ? 'E"\\' : t);
  // deno-lint-ignore no-explicit-any
  const text = (out as any).messages[1].tool_calls[0].function.arguments;
  assert.deepEqual(JSON.parse(text), { to: 'E"\\', cc: ['x"y'], n: 1 });
  assert.equal(text, '{"to": "E\\"\\\\", "cc": ["x\\"y"], "n": 1}', "unchanged tokens keep their bytes");
});

Deno.test("files: text data URLs are decoded, rewritten and re-encoded the way they came", () => {
  const part = (file_data: string) => ({
    model: "m",
    messages: [{ role: "user", content: [{ type: "file", file: { filename: "n.txt", file_data } }] }],
  });
  const b64 = `data:text/plain;charset=utf-8;base64,${btoa("hello secret")}`;
  // deno-lint-ignore no-explicit-any
  const out = rewrite(part(b64), (t) => t.replace("secret", "[X]")) as any;
  assert.equal(
    out.messages[0].content[0].file.file_data,
    `data:text/plain;charset=utf-8;base64,${btoa("hello [X]")}`,
  );
  // deno-lint-ignore no-explicit-any
  const plain = rewrite(part("data:text/plain,hello%20secret"), (t) => t.replace("secret", "[X]")) as any;
  assert.equal(plain.messages[0].content[0].file.file_data, `data:text/plain;base64,${btoa("hello [X]")}`);
  const binary = part(`data:application/octet-stream;base64,${btoa("\u0000\u0001\u0002")}`);
  assert.throws(
    () => readRequest(CLIENT_APIS.chat, binary, DEFAULT_COVERAGE, true),
    (e) => e instanceof GatewayError && e.code === "unsupported_content",
  );
});
