using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coditect.Deploy.Tests;

/// <summary>
/// No cluster runs here: every overlay of deploy/k8s is rendered by <c>kubectl kustomize</c>, each object is checked
/// against the Kubernetes API's schemas (KubernetesSchemas/, vendored from npm), and the whole against the rules we
/// deploy by (deploy/README.md#kubernetes).
/// </summary>
public sealed class KubernetesManifestTests
{
    public static TheoryData<string> Overlays => ["dev", "prod", "gke"];

    private static readonly Dictionary<string, List<JsonObject>> Rendered = [];

    private static List<JsonObject> Render(string overlay)
    {
        lock (Rendered)
        {
            if (!Rendered.TryGetValue(overlay, out var objects))
            {
                var (exit, output, error) = Tools.Run("kubectl", "kustomize", Tools.PathOf("deploy", "k8s", "overlays", overlay));
                exit.ShouldBe(0, error);
                objects = Tools.ParseYaml(output);
                Rendered[overlay] = objects;
            }

            return objects;
        }
    }

    private static IEnumerable<JsonObject> OfKind(string overlay, string kind) =>
        Render(overlay).Where(o => (string?)o["kind"] == kind);

    private static JsonObject Single(string overlay, string kind, string name) =>
        OfKind(overlay, kind).Single(o => (string?)o["metadata"]!["name"] == name);

    private static IEnumerable<(JsonObject Owner, JsonObject PodSpec)> PodSpecs(string overlay) =>
        Render(overlay)
            .Where(o => (string?)o["kind"] is "Deployment" or "StatefulSet" or "Job" or "DaemonSet")
            .Select(o => (o, o["spec"]!["template"]!["spec"]!.AsObject()));

    private static string NameOf(JsonObject o) => $"{o["kind"]}/{o["metadata"]!["name"]}";

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_object_of_every_overlay_is_valid_against_the_Kubernetes_schemas(string overlay)
    {
        var objects = Render(overlay);

        var errors = Validate(objects);

        objects.Count.ShouldBeGreaterThan(10);
        errors.ShouldBeEmpty();
    }

    [Fact]
    public void The_schema_check_is_not_vacuous_it_refuses_a_wrong_type_and_a_missing_required_field()
    {
        var deployment = Single("prod", "Deployment", "coditect-server").DeepClone().AsObject();
        deployment["spec"]!["replicas"] = "three";
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject().Remove("name");
        var unknown = new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "w" } };

        var errors = Validate([deployment, unknown]);

        errors.ShouldContain(e => e.Contains("/spec/replicas", StringComparison.Ordinal) && e.Contains("type", StringComparison.Ordinal));
        errors.ShouldContain(e => e.Contains("/spec/template/spec/containers/0", StringComparison.Ordinal) && e.Contains("name", StringComparison.Ordinal));
        errors.ShouldContain(e => e.Contains("no schema for example.com/v1/Widget", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_container_runs_as_non_root_read_only_without_capabilities_and_with_resources(string overlay)
    {
        foreach (var (owner, pod) in PodSpecs(overlay))
        {
            var podSecurity = pod["securityContext"]?.AsObject();
            ((string?)podSecurity?["seccompProfile"]?["type"]).ShouldBe("RuntimeDefault", NameOf(owner));
            ((bool?)pod["automountServiceAccountToken"]).ShouldBe(false, NameOf(owner));
            foreach (var container in Containers(pod))
            {
                var where = $"{NameOf(owner)} container {container["name"]}";
                var security = container["securityContext"]!.AsObject();
                ((bool?)(security["runAsNonRoot"] ?? podSecurity?["runAsNonRoot"])).ShouldBe(true, where);
                ((long?)(security["runAsUser"] ?? podSecurity?["runAsUser"])).ShouldNotBe(0, where);
                ((bool?)security["readOnlyRootFilesystem"]).ShouldBe(true, where);
                ((bool?)security["allowPrivilegeEscalation"]).ShouldBe(false, where);
                string.Join(",", Strings(security["capabilities"]!["drop"])).ShouldBe("ALL", where);
                foreach (var part in new[] { "requests", "limits" })
                {
                    container["resources"]?[part]?["cpu"].ShouldNotBeNull($"{where}: {part}.cpu");
                    container["resources"]?[part]?["memory"].ShouldNotBeNull($"{where}: {part}.memory");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_long_running_container_has_startup_liveness_and_readiness_probes(string overlay)
    {
        foreach (var (owner, pod) in PodSpecs(overlay).Where(p => (string?)p.Owner["kind"] != "Job"))
        {
            foreach (var container in Containers(pod))
            {
                foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
                {
                    container[probe].ShouldNotBeNull($"{NameOf(owner)} container {container["name"]}: {probe}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_server_is_sized_probed_and_rolled_as_the_seeds_say(string overlay)
    {
        var deployment = Single(overlay, "Deployment", "coditect-server");
        var spec = deployment["spec"]!;
        var server = Containers(spec["template"]!["spec"]!.AsObject()).Single(c => (string?)c["name"] == "server");

        ((long?)spec["replicas"]).ShouldBe(3);
        ((string?)spec["strategy"]!["type"]).ShouldBe("RollingUpdate");
        ((long?)spec["strategy"]!["rollingUpdate"]!["maxUnavailable"]).ShouldBe(0);
        ((string?)server["resources"]!["requests"]!["cpu"]).ShouldBe("500m");
        ((string?)server["resources"]!["requests"]!["memory"]).ShouldBe("512Mi");
        ((string?)server["resources"]!["limits"]!["cpu"]).ShouldBe("1000m");
        ((string?)server["resources"]!["limits"]!["memory"]).ShouldBe("1Gi");
        ((string?)server["startupProbe"]!["httpGet"]!["path"]).ShouldBe("/health/live");
        ((string?)server["livenessProbe"]!["httpGet"]!["path"]).ShouldBe("/health/live");
        ((string?)server["readinessProbe"]!["httpGet"]!["path"]).ShouldBe("/health/ready");
        server["volumeMounts"]!.AsArray().ShouldContain(m => (string?)m!["mountPath"] == "/tmp");
        spec["template"]!["spec"]!["volumes"]!.AsArray().ShouldContain(v => (string?)v!["name"] == "tmp" && v["emptyDir"] != null);

        var hpa = Single(overlay, "HorizontalPodAutoscaler", "coditect-server")["spec"]!;
        ((long?)hpa["minReplicas"]).ShouldBe(3);
        ((long?)hpa["maxReplicas"]).ShouldBe(20);
        string.Join(",", hpa["metrics"]!.AsArray().Select(m => (string)m!["resource"]!["name"]!).Order()).ShouldBe("cpu,memory");
        ((string?)hpa["scaleTargetRef"]!["name"]).ShouldBe("coditect-server");

        var pdb = Single(overlay, "PodDisruptionBudget", "coditect-server")["spec"]!;
        ((long?)pdb["minAvailable"]).ShouldBe(2);
        Selects(pdb["selector"]!["matchLabels"]!.AsObject(), spec["template"]!["metadata"]!["labels"]!.AsObject()).ShouldBeTrue();
        var service = Single(overlay, "Service", "coditect-server")["spec"]!;
        Selects(service["selector"]!.AsObject(), spec["template"]!["metadata"]!["labels"]!.AsObject()).ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_migration_Job_runs_migrate_before_the_Deployment_and_pods_never_migrate_themselves(string overlay)
    {
        var objects = Render(overlay);
        var job = OfKind(overlay, "Job").Single();
        var deployment = Single(overlay, "Deployment", "coditect-server");
        var migrate = Containers(job["spec"]!["template"]!["spec"]!.AsObject()).Single();
        var image = (string)migrate["image"]!;

        // Rendered first (tools that apply in file order), a PreSync hook for Argo CD.
        objects.IndexOf(job).ShouldBeLessThan(objects.IndexOf(deployment));
        ((string?)job["metadata"]!["annotations"]!["argocd.argoproj.io/hook"]).ShouldBe("PreSync");
        string.Join(" ", Strings(migrate["args"])).ShouldBe("migrate");
        // The same image as the server, and named for its release (a Job's template cannot change in place).
        image.ShouldBe((string?)Containers(deployment["spec"]!["template"]!["spec"]!.AsObject()).Single(c => (string?)c["name"] == "server")["image"]);
        var tag = image[(image.LastIndexOf(':') + 1)..].Replace('.', '-');
        ((string)job["metadata"]!["name"]!).ShouldBe($"coditect-migrate-{tag}");
        ((long?)job["spec"]!["ttlSecondsAfterFinished"]).ShouldNotBeNull();
        // The pods wait for it: no migration at start, and /health/ready is 503 while one is pending (Platform/Health.cs).
        var config = OfKind(overlay, "ConfigMap").Single(c => ((string)c["metadata"]!["name"]!).StartsWith("coditect-config", StringComparison.Ordinal));
        ((string?)config["data"]!["Database__MigrateOnStart"]).ShouldBe("false");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Secrets_are_referenced_never_committed(string overlay)
    {
        OfKind(overlay, "Secret").ShouldBeEmpty();
        foreach (var config in OfKind(overlay, "ConfigMap"))
        {
            var data = config["data"]!.AsObject();
            data.Select(d => d.Key).ShouldNotContain(key => key.Contains("Password", StringComparison.OrdinalIgnoreCase)
                || (key.Contains("MasterKey", StringComparison.OrdinalIgnoreCase) && !NotSecret(key)) || key.StartsWith("ConnectionStrings", StringComparison.Ordinal));
        }

        var server = Containers(Single(overlay, "Deployment", "coditect-server")["spec"]!["template"]!["spec"]!.AsObject()).Single(c => (string?)c["name"] == "server");
        var fromSecret = server["env"]!.AsArray().Where(e => e!["valueFrom"]?["secretKeyRef"] != null).Select(e => (string?)e!["name"]).ToList();
        fromSecret.ShouldContain("Secrets__MasterKey");
        fromSecret.ShouldContain("ConnectionStrings__Database");
    }

    /// <summary>The KMS key's name and the master key's ciphertext (only that KMS key opens it) may sit in a config map.</summary>
    private static bool NotSecret(string key) => key is "Secrets__MasterKeyKms" or "Secrets__MasterKeyCiphertext";

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_network_policy_admits_only_the_ingress_and_metrics_scrapers_and_lets_out_only_what_the_server_uses(string overlay)
    {
        var policy = Single(overlay, "NetworkPolicy", "coditect")["spec"]!;
        var server = Single(overlay, "Deployment", "coditect-server")["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        var job = OfKind(overlay, "Job").Single()["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();

        Selects(policy["podSelector"]!["matchLabels"]!.AsObject(), server).ShouldBeTrue();
        Selects(policy["podSelector"]!["matchLabels"]!.AsObject(), job).ShouldBeTrue();
        string.Join(",", Strings(policy["policyTypes"]).Order()).ShouldBe("Egress,Ingress");
        var ingressPorts = policy["ingress"]!.AsArray().SelectMany(r => r!["ports"]!.AsArray().Select(p => (long)p!["port"]!)).ToList();
        string.Join(",", ingressPorts.Order()).ShouldBe("8080,9464");
        policy["ingress"]!.AsArray().ShouldAllBe(rule => rule!["from"] != null && rule["from"]!.AsArray().Count > 0);
        var egressPorts = policy["egress"]!.AsArray().SelectMany(r => r!["ports"]!.AsArray().Select(p => (long)p!["port"]!)).Distinct().Order().ToList();
        var allowed = new long[] { 53, 5432, 6379, 6378, 587, 465, 443 }.Concat(overlay == "gke" ? new long[] { 80, 988 } : []).ToList();
        egressPorts.ShouldBe(allowed.Order().ToList());
        // The databases by address range (or by pod in dev), never to any address; the documentation ranges of the
        // base must have been replaced.
        foreach (var port in new[] { 5432, 6379 })
        {
            var rule = policy["egress"]!.AsArray().Single(r => r!["ports"]!.AsArray().Any(p => (long)p!["port"]! == port))!;
            rule["to"].ShouldNotBeNull($"egress to {port} names its destination");
            var text = rule["to"]!.ToJsonString();
            text.ShouldNotContain("192.0.2.");
            text.ShouldNotContain("198.51.100.");
            text.ShouldNotContain("0.0.0.0/0");
        }

        if (overlay == "gke")
        {
            policy["egress"]!.ToJsonString().ShouldContain("169.254.169.254/32");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_ingress_terminates_TLS_and_reaches_the_server_Service(string overlay)
    {
        var ingress = Single(overlay, "Ingress", "coditect-server");
        var tls = ingress["spec"]!["tls"]?.AsArray();
        var managed = (string?)ingress["metadata"]!["annotations"]?["networking.gke.io/managed-certificates"];

        (tls is { Count: > 0 } || managed is not null).ShouldBeTrue("TLS: a certificate Secret, or a GKE managed certificate");
        if (managed is not null)
        {
            OfKind(overlay, "ManagedCertificate").ShouldContain(c => (string?)c["metadata"]!["name"] == managed);
        }

        var backend = ingress["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["backend"]!["service"]!;
        ((string?)backend["name"]).ShouldBe("coditect-server");
        var service = Single(overlay, "Service", "coditect-server");
        service["spec"]!["ports"]!.AsArray().ShouldContain(p => (string?)p!["name"] == (string?)backend["port"]!["name"]);
        service["spec"]!["ports"]!.AsArray().ShouldNotContain(p => (string?)p!["targetPort"] == "metrics", "metrics stay off the public path");
    }

    [Fact]
    public void Only_the_dev_overlay_runs_PostgreSQL_and_Redis_in_the_cluster()
    {
        string.Join(",", OfKind("dev", "StatefulSet").Select(s => (string)s["metadata"]!["name"]!)).ShouldBe("postgres");
        string.Join(",", OfKind("dev", "Deployment").Select(s => (string)s["metadata"]!["name"]!).Order()).ShouldBe("coditect-server,redis");
        foreach (var overlay in new[] { "prod", "gke" })
        {
            OfKind(overlay, "StatefulSet").ShouldBeEmpty();
            string.Join(",", OfKind(overlay, "Deployment").Select(s => (string)s["metadata"]!["name"]!)).ShouldBe("coditect-server");
        }
    }

    private static IEnumerable<JsonObject> Containers(JsonObject pod) =>
        (pod["initContainers"]?.AsArray() ?? []).Concat(pod["containers"]!.AsArray()).Select(c => c!.AsObject());

    private static List<string> Strings(JsonNode? array) => [.. array!.AsArray().Select(item => (string)item!)];

    private static bool Selects(JsonObject selector, JsonObject labels) =>
        selector.All(s => (string?)labels[s.Key] == (string?)s.Value);

    /// <summary>Runs KubernetesSchemas/validate.mjs over the objects: "Kind/name: error" for every schema error.</summary>
    private static List<string> Validate(IReadOnlyList<JsonObject> objects)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, new JsonArray([.. objects.Select(o => o.DeepClone())]).ToJsonString());
            var script = Path.Combine(AppContext.BaseDirectory, "KubernetesSchemas", "validate.mjs");
            var (exit, output, error) = Tools.Run("node", script, file);
            exit.ShouldBe(0, error);
            using var results = JsonDocument.Parse(output);
            return [.. results.RootElement.EnumerateArray().SelectMany(r => r.GetProperty("errors").EnumerateArray()
                .Select(e => $"{r.GetProperty("kind").GetString()}/{r.GetProperty("name").GetString()}: {e.GetString()}"))];
        }
        finally
        {
            File.Delete(file);
        }
    }
}
