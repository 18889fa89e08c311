/**
 * Every manifest under deploy/kubernetes/ validates offline against the
 * Kubernetes OpenAPI schemas (kubernetes-models: ajv validators precompiled
 * from the upstream OpenAPI spec, shipped in the npm package, so no network and
 * no cluster), and the pods carry the hardening SECURITY.md promises.
 *
 * The upstream schemas do not forbid unknown fields, so a typo such as
 * `readOnlyRootFileSystem` would validate: the hardening assertions below read
 * each security field by its exact name, which catches those.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";

const DIR = fileURLToPath(new URL("../../deploy/kubernetes/", import.meta.url));

// deno-lint-ignore no-explicit-any
type Any = any;
type Model = new (data: Any) => { validate(): void };

const MODELS: Record<string, Model> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

/** Files that are not API objects. */
const NOT_API_OBJECTS = new Set(["kustomization.yaml"]);

async function loadAll(): Promise<Array<{ file: string; doc: Any }>> {
  const out: Array<{ file: string; doc: Any }> = [];
  const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => /\.ya?ml$/.test(n)).sort();
  for (const file of files) {
    if (NOT_API_OBJECTS.has(file)) continue;
    for (const d of parseAllDocuments(await Deno.readTextFile(`${DIR}${file}`))) {
      assert.deepEqual(d.errors, [], `${file}: YAML errors`);
      const doc = d.toJS();
      if (doc !== null) out.push({ file, doc });
    }
  }
  return out;
}

const DOCS = await loadAll();
const find = (kind: string, name: string) =>
  DOCS.find((d) => d.doc.kind === kind && d.doc.metadata?.name === name)?.doc;

Deno.test("every manifest validates against the Kubernetes schemas", () => {
  assert.ok(DOCS.length >= 14, `only ${DOCS.length} objects`);
  for (const { file, doc } of DOCS) {
    const key = `${doc.apiVersion}/${doc.kind}`;
    const Model = MODELS[key];
    assert.ok(Model, `${file}: no schema for ${key}; add it to MODELS`);
    try {
      new Model(doc).validate();
    } catch (error) {
      assert.fail(`${file} ${key} ${doc.metadata?.name}: ${(error as Error).message}`);
    }
    if (doc.kind !== "Namespace") assert.equal(doc.metadata.namespace, "keeptrusts", `${file} ${doc.kind}`);
  }
});

Deno.test("the schema check is not vacuous: a wrong type is rejected", () => {
  const broken = structuredClone(find("Deployment", "keeptrusts-gateway"));
  broken.spec.template.spec.containers[0].ports[0].containerPort = "41002";
  assert.throws(() => new Deployment(broken).validate(), /containerPort/);
});

Deno.test("the kustomization lists every manifest file", async () => {
  const k = parseYaml(await Deno.readTextFile(`${DIR}kustomization.yaml`));
  const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) =>
    n.endsWith(".yaml") && !NOT_API_OBJECTS.has(n)
  );
  assert.deepEqual([...k.resources].sort(), files.sort());
});

for (const name of ["keeptrusts-gateway", "keeptrusts-api"]) {
  Deno.test(`${name}: nonroot, read-only root, no capabilities, seccomp, probes, limits, no SA token`, () => {
    const dep = find("Deployment", name);
    assert.ok(dep, name);
    const pod = dep.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.enableServiceLinks, false);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 65532);
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
    assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC);
    const sa = find("ServiceAccount", pod.serviceAccountName);
    assert.equal(sa?.automountServiceAccountToken, false);
    for (const c of pod.containers) {
      const sc = c.securityContext;
      assert.equal(sc.runAsNonRoot, true);
      assert.equal(sc.runAsUser, 65532);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.equal(sc.privileged, false);
      assert.deepEqual(sc.capabilities, { drop: ["ALL"] });
      assert.equal(sc.seccompProfile.type, "RuntimeDefault");
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
      assert.equal(c.livenessProbe.httpGet.path, "/healthz");
      assert.equal(c.readinessProbe.httpGet.path, "/readyz");
      const tmp = c.volumeMounts.find((m: Any) => m.mountPath === "/tmp");
      assert.ok(pod.volumes.find((v: Any) => v.name === tmp.name).emptyDir, "/tmp is an emptyDir");
      for (const e of c.env ?? []) {
        // Secrets only by reference, never as literal values in the Deployment.
        if (/TOKEN$|KEY$|PASSWORD|DATABASE_URL/.test(e.name)) assert.ok(e.valueFrom?.secretKeyRef, e.name);
      }
    }
  });
}

Deno.test("gateway: config from the ConfigMap read-only at /etc/keeptrusts, token as a file, PDB and HPA", () => {
  const pod = find("Deployment", "keeptrusts-gateway").spec.template.spec;
  const c = pod.containers[0];
  assert.deepEqual(c.args, ["gateway", "run", "--policy-config", "/etc/keeptrusts/policy-config.yaml"]);
  assert.equal(c.ports[0].containerPort, 41002);
  const mount = c.volumeMounts.find((m: Any) => m.mountPath === "/etc/keeptrusts");
  assert.equal(mount.readOnly, true);
  const vol = pod.volumes.find((v: Any) => v.name === mount.name);
  assert.equal(vol.configMap.name, "keeptrusts-policy-config");
  assert.ok(find("ConfigMap", "keeptrusts-policy-config").data["policy-config.yaml"].includes("pack:"));
  const tokenFile = c.env.find((e: Any) => e.name === "KEEPTRUSTS_GATEWAY_TOKEN_FILE").value;
  assert.ok(
    tokenFile.startsWith("/run/secrets/"),
    "token file must be under the binary's readable secret dir",
  );
  assert.ok(!c.env.some((e: Any) => e.name === "KEEPTRUSTS_GATEWAY_TOKEN"), "token never in the environment");
  assert.equal(
    find("PodDisruptionBudget", "keeptrusts-gateway").spec.selector.matchLabels.app,
    "keeptrusts-gateway",
  );
  const hpa = find("HorizontalPodAutoscaler", "keeptrusts-gateway");
  assert.equal(hpa.spec.scaleTargetRef.name, "keeptrusts-gateway");
  assert.ok(hpa.spec.minReplicas >= 2);
});

Deno.test("control plane: data on its PVC at the binary's writable path, single writer", () => {
  const dep = find("Deployment", "keeptrusts-api");
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(dep.spec.strategy.type, "Recreate");
  assert.equal(c.env.find((e: Any) => e.name === "KEEPTRUSTS_DATA_DIR").value, "/var/lib/keeptrusts");
  const mount = c.volumeMounts.find((m: Any) => m.mountPath === "/var/lib/keeptrusts");
  const vol = pod.volumes.find((v: Any) => v.name === mount.name);
  assert.ok(find("PersistentVolumeClaim", vol.persistentVolumeClaim.claimName));
  assert.equal(pod.securityContext.fsGroup, 65532);
});

Deno.test("secrets are placeholders only", () => {
  for (const { doc } of DOCS.filter((d) => d.doc.kind === "Secret")) {
    for (const [key, value] of Object.entries(doc.stringData ?? {})) assert.equal(value, "REPLACE_ME", key);
    assert.ok(!doc.data, "no base64 data committed");
  }
});

Deno.test("NetworkPolicy: default deny; gateway ingress only from `application` on 41002; egress CP, 443, DNS", () => {
  assert.deepEqual(find("NetworkPolicy", "default-deny-all").spec, {
    podSelector: {},
    policyTypes: ["Ingress", "Egress"],
  });
  const np = find("NetworkPolicy", "keeptrusts-gateway-policy").spec;
  assert.deepEqual(np.podSelector.matchLabels, { app: "keeptrusts-gateway" });
  assert.equal(np.ingress.length, 1);
  assert.deepEqual(np.ingress[0].from, [{ namespaceSelector: { matchLabels: { name: "application" } } }]);
  assert.deepEqual(np.ingress[0].ports, [{ port: 41002, protocol: "TCP" }]);
  const ports = np.egress.map((r: Any) => r.ports.map((p: Any) => `${p.port}/${p.protocol}`).join(","));
  assert.deepEqual(ports, ["8081/TCP", "443/TCP", "53/UDP,53/TCP"]);
  assert.deepEqual(np.egress[0].to, [{ podSelector: { matchLabels: { app: "keeptrusts-api" } } }]);
  const v4 = np.egress[1].to.find((p: Any) => p.ipBlock.cidr === "0.0.0.0/0");
  assert.ok(v4.ipBlock.except.includes("169.254.0.0/16"), "metadata range must be excluded");
  const v6 = np.egress[1].to.find((p: Any) => p.ipBlock.cidr === "::/0");
  assert.ok(v6.ipBlock.except.includes("fd00:ec2::/32"));
});

Deno.test("namespace enforces Pod Security 'restricted'", () => {
  const ns = find("Namespace", "keeptrusts");
  assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
});
