using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coditect.Server.FaultTests.Infrastructure;

namespace Coditect.Server.FaultTests.Billing;

/// <summary>
/// Stripe delivers an event again when an answer is slow, and a load balancer may hand the copies to different nodes:
/// two nodes receiving the same signed event at the same moment apply it once (one <c>billing_events</c> row, one audit
/// entry, one outbox event), whatever the event type.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class StripeApplyOnceTests(Backends backends)
{
    private const string Secret = "whsec_fault_0123456789abcdef";

    /// <summary>The types billing raises on the outbox (the product licence's own <c>license.*</c> events aside).</summary>
    private const string BillingTypes = "type like 'subscription.%' or type like 'invoice.%'";

    [Fact]
    public async Task The_same_event_posted_to_two_nodes_at_once_is_applied_once_for_every_type()
    {
        await using var cluster = await Cluster.StartAsync(backends, Ledger.Postgres, nodes: 2, nodeSettings: _ => new Dictionary<string, string>
        {
            ["Billing__Provider"] = "Stripe",
            ["Billing__Stripe__SecretKey"] = "sk_test_fault",
            ["Billing__Stripe__WebhookSecret"] = Secret,
            ["Billing__Stripe__ApiBase"] = "http://127.0.0.1:9", // never called: only the webhook is used
            ["Billing__Stripe__Prices__pro"] = "price_pro",
            ["Billing__ProductLicense__Name"] = "Coditect Pro",
        });
        var org = cluster.OrganizationId;
        var start = DateTime.UtcNow;
        var life = new Life(org, start);
        // Each round: the event, then the status it leaves and the audit entries it makes on the billing account
        // (none when it changes nothing there: the trial notice only raises its event).
        var rounds = new (string Body, string Status, int Audited)[]
        {
            (life.Checkout(), "active", 1),
            (life.Subscription("created", "active", periodEnd: start.AddDays(30)), "active", 1),
            (life.Invoice("paid", start.AddDays(60)), "active", 1),
            (life.TrialWillEnd(start.AddDays(3)), "active", 0),
            (life.Invoice("payment_failed", start.AddDays(90)), "active", 1),
            (life.Subscription("updated", "past_due", periodEnd: start.AddDays(60)), "past_due", 1),
            (life.Invoice("paid", start.AddDays(90)), "past_due", 1),
            (life.Subscription("updated", "active", periodEnd: start.AddDays(90), cancelAtPeriodEnd: true), "active", 1),
            (life.Subscription("deleted", "canceled", periodEnd: start.AddDays(90), cancelAtPeriodEnd: true), "canceled", 1),
        };

        foreach (var (body, status, audited) in rounds)
        {
            var eventId = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
            var auditBefore = await cluster.ScalarAsync<long>("select count(*) from audit_events where object_type = 'subscription'");
            var outboxBefore = await cluster.ScalarAsync<long>($"select count(*) from outbox where {BillingTypes}");

            // Two copies to each node, released together.
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var posts = cluster.Nodes.SelectMany(node => new[] { node, node }).Select(node => Task.Run(async () =>
            {
                await gate.Task;
                return await PostAsync(node, body);
            })).ToList();
            gate.SetResult();
            var answers = await Task.WhenAll(posts);

            answers.Count(a => a == "applied").ShouldBe(1, $"{eventId}: {string.Join(", ", answers)}\n{cluster.Logs()}");
            answers.Count(a => a == "duplicate").ShouldBe(answers.Length - 1, $"{eventId}: {string.Join(", ", answers)}");
            (await cluster.ScalarAsync<long>($"select count(*) from billing_events where event_id = '{eventId}'")).ShouldBe(1);
            (await cluster.ScalarAsync<long>("select count(*) from audit_events where object_type = 'subscription'")).ShouldBe(auditBefore + audited, eventId);
            (await cluster.ScalarAsync<long>($"select count(*) from outbox where {BillingTypes}")).ShouldBe(outboxBefore + 1, eventId);
            (await cluster.ScalarAsync<string>($"select status from billing_accounts where tenant_id = '{org}'")).ShouldBe(status, eventId);
        }

        (await cluster.ScalarAsync<long>("select count(*) from billing_events")).ShouldBe(rounds.Length);
        (await cluster.ScalarAsync<string>($"select plan from billing_accounts where tenant_id = '{org}'")).ShouldBe("pro");
        (await cluster.ScalarAsync<bool>($"select cancel_at_period_end from billing_accounts where tenant_id = '{org}'")).ShouldBeTrue();
        (await cluster.ScalarAsync<DateTime>($"select period_end from billing_accounts where tenant_id = '{org}'"))
            .ShouldBe(DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(start.AddDays(90)).ToUnixTimeSeconds()).UtcDateTime);
        (await cluster.ScalarAsync<long>("select count(*) from outbox where type = 'subscription.trial_will_end'")).ShouldBe(1);
        (await cluster.ScalarAsync<long>("select count(*) from outgoing_mail where kind = 'trial_ending'")).ShouldBe(1, "one owner, one mail");
        (await cluster.ScalarAsync<long>("select count(*) from outgoing_mail where kind = 'payment_failed'")).ShouldBe(1, "one owner, one mail");
        (await cluster.ScalarAsync<long>("select count(*) from licenses where managed_by = 'billing'")).ShouldBe(1);
    }

    private static async Task<string> PostAsync(ServerNode node, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/billing/stripe/webhook")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", Sign(body, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        using var response = await node.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{node.Name}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("result").GetString()!;
    }

    /// <summary>Stripe's scheme: <c>t={unix},v1={hex HMAC-SHA256 of "{t}.{body}" under the endpoint's secret}</c>.</summary>
    private static string Sign(string body, long timestamp)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{timestamp.ToString(CultureInfo.InvariantCulture)}.{body}"));
        return $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>One organization's Stripe events, as Stripe builds them (as the server tests' <c>StripeLife</c>).</summary>
    private sealed class Life(Guid organizationId, DateTime start)
    {
        private readonly string _tag = Guid.NewGuid().ToString("N")[..10];
        private int _n;

        private string Customer => "cus_" + _tag;
        private string SubscriptionId => "sub_" + _tag;
        private object Metadata => new Dictionary<string, string> { ["organization_id"] = organizationId.ToString() };

        public string Checkout() => Event("checkout.session.completed", new
        {
            id = "cs_" + _tag, @object = "checkout.session", mode = "subscription", client_reference_id = organizationId.ToString(),
            customer = Customer, subscription = SubscriptionId, metadata = new { plan = "pro", seats = "3" },
        });

        public string Subscription(string verb, string status, DateTime periodEnd, bool cancelAtPeriodEnd = false) =>
            Event("customer.subscription." + verb, new
            {
                id = SubscriptionId, @object = "subscription", customer = Customer, status, cancel_at_period_end = cancelAtPeriodEnd, metadata = Metadata,
                items = new { @object = "list", data = new[] { new { id = "si_" + _tag, quantity = 3, price = new { id = "price_pro" }, current_period_end = Unix(periodEnd) } } },
            });

        public string TrialWillEnd(DateTime trialEnd) => Event("customer.subscription.trial_will_end", new
        {
            id = SubscriptionId, @object = "subscription", customer = Customer, status = "active", trial_end = Unix(trialEnd), metadata = Metadata,
        });

        public string Invoice(string verb, DateTime periodEnd) => Event("invoice." + verb, new
        {
            id = $"in_{_tag}_{_n}", @object = "invoice", customer = Customer,
            parent = new { type = "subscription_details", subscription_details = new { subscription = SubscriptionId, metadata = Metadata } },
            lines = new { @object = "list", data = new[] { new { period = new { start = Unix(periodEnd.AddDays(-30)), end = Unix(periodEnd) } } } },
        });

        private string Event(string type, object data)
        {
            _n++;
            return JsonSerializer.Serialize(new
            {
                id = $"evt_{_tag}_{_n}", @object = "event", api_version = "2025-03-31.basil", type, livemode = false,
                created = Unix(start.AddMinutes(_n)),
                data = new { @object = data },
            });
        }

        private static long Unix(DateTime time) => new DateTimeOffset(time).ToUnixTimeSeconds();
    }
}
