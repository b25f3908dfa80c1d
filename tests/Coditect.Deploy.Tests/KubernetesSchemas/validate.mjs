// Checks Kubernetes objects against the schemas of the Kubernetes API (and of the GKE resources the gke overlay
// uses): the validators kubernetes-models compiles from the OpenAPI documents, vendored under node_modules by
// refresh.sh. Usage:
//   node validate.mjs FILE.json   FILE holds a JSON array of objects; prints a JSON array, per object
//                                 {kind, name, errors}, errors being "instancePath: message" strings
//   node validate.mjs --entries   prints the validator files KINDS uses (refresh.sh copies them and their imports)
import { readFileSync } from "node:fs";

// apiVersion/kind -> the package file of its validator. A kind missing here fails the test: add it, run refresh.sh.
const KINDS = {
  "v1/Namespace": "kubernetes-models/_schemas/IoK8sApiCoreV1Namespace.js",
  "v1/ServiceAccount": "kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount.js",
  "v1/ConfigMap": "kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap.js",
  "v1/Service": "kubernetes-models/_schemas/IoK8sApiCoreV1Service.js",
  "batch/v1/Job": "kubernetes-models/_schemas/IoK8sApiBatchV1Job.js",
  "apps/v1/Deployment": "kubernetes-models/_schemas/IoK8sApiAppsV1Deployment.js",
  "apps/v1/StatefulSet": "kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet.js",
  "networking.k8s.io/v1/Ingress": "kubernetes-models/_schemas/IoK8sApiNetworkingV1Ingress.js",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy.js",
  "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler.js",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget.js",
  "networking.gke.io/v1/ManagedCertificate": "@kubernetes-models/gke/_schemas/NetworkingGkeIoV1ManagedCertificate.mjs",
  "networking.gke.io/v1beta1/FrontendConfig": "@kubernetes-models/gke/_schemas/NetworkingGkeIoV1beta1FrontendConfig.mjs",
  "cloud.google.com/v1/BackendConfig": "@kubernetes-models/gke/_schemas/CloudGoogleComV1BackendConfig.mjs",
};

if (process.argv[2] === "--entries") {
  console.log(Object.values(KINDS).join("\n"));
  process.exit(0);
}

const objects = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = [];
for (const object of objects) {
  const key = `${object.apiVersion}/${object.kind}`;
  const name = object.metadata?.name ?? "";
  if (!(key in KINDS)) {
    results.push({ kind: key, name, errors: [`no schema for ${key}: add it to KINDS in validate.mjs and run refresh.sh`] });
    continue;
  }

  const { validate } = await import(new URL(`./node_modules/${KINDS[key]}`, import.meta.url));
  const valid = validate(object);
  const errors = valid ? [] : validate.errors.map(e => `${e.instancePath || "/"}: ${e.keyword} ${JSON.stringify(e.params)}`);
  results.push({ kind: key, name, errors });
}

console.log(JSON.stringify(results));
