/**
 * The compiled binary is the Deno runtime (denort) plus an embedded payload, so
 * it links against what the `deno` executable links against. Every one of
 * those shared libraries must exist in gcr.io/distroless/cc-debian12, or the
 * image fails at exec with "not found" and no shell to debug it.
 */
import assert from "node:assert/strict";

/**
 * Shared objects in gcr.io/distroless/cc-debian12 (Debian 12 packages libc6,
 * libgcc-s1, libstdc++6, libgomp1 on top of distroless/base: ca-certificates,
 * tzdata, libssl3), with why each matters to a Deno binary.
 */
const DISTROLESS_CC_LIBS: Record<string, string> = {
  "libc.so.6": "libc6: glibc itself: syscalls wrappers, malloc, getaddrinfo (DNS)",
  "libm.so.6": "libc6: math functions used by V8 (Math.*) and Rust's f64 helpers",
  "libdl.so.2":
    "libc6: dlopen/dlsym stub (merged into libc.so.6 since glibc 2.34, still shipped for old links)",
  "libpthread.so.0": "libc6: threads stub (merged into libc since 2.34); tokio + V8 platform worker threads",
  "librt.so.1": "libc6: clock_gettime/timer stub (merged into libc since 2.34)",
  "libgcc_s.so.1":
    "libgcc-s1: stack unwinding for Rust panics and C++ exceptions in V8; the reason to use cc, not static",
  "ld-linux-x86-64.so.2": "libc6: the dynamic loader named in the ELF interpreter field (x86_64)",
  "ld-linux-aarch64.so.1": "libc6: the dynamic loader on arm64 images",
  "libstdc++.so.6": "libstdc++6: C++ runtime (not needed by deno 2.9.6, which links libc++ statically)",
  "libgomp.so.1": "libgomp1: OpenMP runtime (unused by deno)",
  "libssl.so.3": "libssl3 (distroless/base): unused by deno, which uses rustls",
  "libcrypto.so.3": "libssl3 (distroless/base): unused by deno",
};

/** Sonames `ldd` lists that are not files in an image. */
const KERNEL_PROVIDED = new Set(["linux-vdso.so.1", "linux-gate.so.1"]);

Deno.test({
  name: "every shared library the Deno runtime links against ships in distroless cc-debian12",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const out = await new Deno.Command("ldd", { args: [Deno.execPath()], stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.doesNotMatch(text, /not found/, "the runtime itself misses a library here");
    const sonames = text.split("\n").map((l) => l.trim().split(/\s+/)[0]).filter(Boolean)
      .map((s) => s.split("/").at(-1)!);
    const needed = sonames.filter((s) => !KERNEL_PROVIDED.has(s));
    assert.ok(needed.includes("libc.so.6"), `unexpected ldd output:\n${text}`);
    const missing = needed.filter((s) => !(s in DISTROLESS_CC_LIBS));
    assert.deepEqual(missing, [], `not in distroless cc: ${missing.join(", ")} (use a fuller base image)`);
    // libgcc_s is the one library distroless/static lacks: it is why the image is cc, not static.
    assert.ok(needed.includes("libgcc_s.so.1"));
  },
});

/** glibc of Debian 12 (bookworm), hence of distroless cc-debian12. */
const DISTROLESS_GLIBC = [2, 36];

Deno.test({
  name: "the runtime needs no glibc symbol newer than distroless cc-debian12's glibc 2.36",
  ignore: Deno.build.os !== "linux",
  async fn() {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command("objdump", {
        args: ["-T", Deno.execPath()],
        stdout: "piped",
        stderr: "null",
      })
        .output();
    } catch {
      console.warn("objdump (binutils) not installed: glibc version check skipped");
      return;
    }
    const versions = [...new TextDecoder().decode(out.stdout).matchAll(/GLIBC_(\d+)\.(\d+)/g)]
      .map((m) => [Number(m[1]), Number(m[2])]);
    assert.ok(versions.length > 0);
    const newest = versions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a));
    assert.ok(
      newest[0] < DISTROLESS_GLIBC[0] ||
        (newest[0] === DISTROLESS_GLIBC[0] && newest[1] <= DISTROLESS_GLIBC[1]),
      `needs GLIBC_${newest.join(".")}`,
    );
  },
});
