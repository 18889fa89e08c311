/**
 * `kt service systemd` / `kt service apparmor`: print the hardened systemd
 * unit and AppArmor profile (SPEC 1.5), byte for byte the files under
 * `deploy/` (embedded at build time: see scripts/sync_artifacts.ts).
 *
 * @module
 */
import { Command } from "commander";
import {
  KT_APPARMOR_PROFILE,
  KT_CONTROL_PLANE_APPARMOR_PROFILE,
  KT_CONTROL_PLANE_SYSTEMD_UNIT,
  KT_SYSTEMD_UNIT,
} from "../service_artifacts.ts";

/** The text `kt service <kind>` prints. */
export function serviceArtifact(kind: "systemd" | "apparmor", controlPlane = false): string {
  if (kind === "systemd") return controlPlane ? KT_CONTROL_PLANE_SYSTEMD_UNIT : KT_SYSTEMD_UNIT;
  return controlPlane ? KT_CONTROL_PLANE_APPARMOR_PROFILE : KT_APPARMOR_PROFILE;
}

async function print(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

/** `kt service systemd|apparmor [--control-plane]`. */
export function serviceCommand(): Command {
  const service = new Command("service").description(
    "print hardened service artifacts (systemd unit, AppArmor profile)",
  );
  service.addCommand(
    new Command("systemd")
      .description(
        "print the hardened systemd unit (deploy/systemd/kt.service); install as /etc/systemd/system/kt.service",
      )
      .option("--control-plane", "print the kt-control-plane unit instead")
      .action(async (flags: { controlPlane?: boolean }) => {
        await print(serviceArtifact("systemd", flags.controlPlane === true));
      }),
  );
  service.addCommand(
    new Command("apparmor")
      .description("print the AppArmor profile (deploy/apparmor/kt); install under /etc/apparmor.d/")
      .option("--control-plane", "print the kt-control-plane profile instead")
      .action(async (flags: { controlPlane?: boolean }) => {
        await print(serviceArtifact("apparmor", flags.controlPlane === true));
      }),
  );
  return service;
}
