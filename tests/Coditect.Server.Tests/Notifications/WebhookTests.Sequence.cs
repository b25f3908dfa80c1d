using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Notifications;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Notifications;

/// <summary>
/// The <c>webhook-sequence</c> header (each endpoint numbers the events it is sent, docs/webhooks.md), and how an
/// attempt and a redelivery of the same delivery overlap.
/// </summary>
public abstract partial class WebhookTests<TApp>
{
    [Fact]
    public async Task Each_endpoint_numbers_its_events_in_the_order_they_were_raised_and_a_redelivery_keeps_its_number()
    {
        await using var all = await WebhookReceiver.StartAsync();
        await using var suspensions = await WebhookReceiver.StartAsync();
        var vendor = await App.Anonymous().RegisterAsync();
        var everything = await CreateEndpointAsync(vendor, all.Url);
        await CreateEndpointAsync(vendor, suspensions.Url, "license.suspended");
        var license = await vendor.CreateLicenseAsync(seats: 1);
        foreach (var action in new[] { "suspend", "reinstate", "suspend" })
        {
            (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/{action}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await Eventually.ShouldHoldAsync(() => all.Received.Count == 4 && suspensions.Received.Count == 2, Within, "every event at both endpoints");
        // Delivery is not ordered: the receiver sorts by the header and finds the events in the order they were raised.
        var numbered = all.Received.OrderBy(r => long.Parse(r.Sequence!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        numbered.Select(r => r.Sequence).ShouldBe(["1", "2", "3", "4"], "numbered from 1 without gaps");
        numbered.Select(r => r.Type).ShouldBe(["license.created", "license.suspended", "license.reinstated", "license.suspended"]);
        suspensions.Received.Select(r => r.Sequence).ShouldBe(["1", "2"], ignoreOrder: true, "each endpoint counts its own deliveries");

        // A test event is not part of the stream: no number, and the next event takes the next one.
        var path = $"{vendor.OrgPath}/webhooks/{everything.Id}";
        (await vendor.Client.PostAsync($"{path}/test")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ShouldHoldAsync(() => all.OfType("webhook.test").Count == 1, Within, "the test event");
        all.OfType("webhook.test").Single().Sequence.ShouldBeNull();
        (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/reinstate")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Eventually.ShouldHoldAsync(() => all.OfType("license.reinstated").Count == 2, Within, "the fifth event");
        all.OfType("license.reinstated").Select(r => r.Sequence).ShouldBe(["3", "5"], ignoreOrder: true);

        // A redelivery is the same message: same webhook-id, same number.
        var deliveries = await vendor.Client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{path}/deliveries?page_size=100");
        deliveries.Items.Where(d => d.EventType != WebhookAdmin.TestEventType).Select(d => d.Sequence).ShouldBe([1L, 2L, 3L, 4L, 5L], ignoreOrder: true,
            "the delivery log shows each number");
        deliveries.Items.Single(d => d.EventType == WebhookAdmin.TestEventType).Sequence.ShouldBeNull();
        var created = deliveries.Items.Single(d => d.EventType == "license.created");
        created.Sequence.ShouldBe(1);
        (await vendor.Client.PostAsync($"{path}/deliveries/{created.Id}/redeliver")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ShouldHoldAsync(() => all.OfType("license.created").Count == 2, Within, "the redelivery");
        all.OfType("license.created").Select(r => (r.Id, r.Sequence)).Distinct().ShouldHaveSingleItem().Sequence.ShouldBe("1");
    }

    [Fact]
    public async Task An_attempt_that_ends_after_a_redelivery_is_logged_but_leaves_the_redeliverys_schedule()
    {
        var firstHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await WebhookReceiver.StartAsync();
        // The first request is held, then accepted; every later one is refused at once.
        receiver.Answer = async arrival =>
        {
            if (arrival == 1)
            {
                await firstHeld.Task;
                return 200;
            }

            return 503;
        };
        var vendor = await App.Anonymous().RegisterAsync();
        var endpoint = await CreateEndpointAsync(vendor, receiver.Url, "license.created");
        var path = $"{vendor.OrgPath}/webhooks/{endpoint.Id}";
        await vendor.CreateLicenseAsync(seats: 1);
        await Eventually.ShouldHoldAsync(() => receiver.Received.Count == 1, Within, "the first attempt, held");
        var id = (await vendor.Client.GetJsonAsync<CursorPage<WebhookDeliveryResponse>>($"{path}/deliveries")).Items.Single().Id;

        (await vendor.Client.PostAsync($"{path}/deliveries/{id}/redeliver")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ShouldHoldAsync(() => receiver.Received.Count == 2, Within, "the redelivery, sent while the first attempt is in flight");
        await Eventually.ShouldHoldAsync(async () => (await vendor.Client.GetJsonAsync<WebhookDeliveryResponse>($"{path}/deliveries/{id}")).AttemptCount == 1,
            Within, "the redelivery's 503 recorded");
        firstHeld.SetResult();

        await Eventually.ShouldHoldAsync(async () => (await vendor.Client.GetJsonAsync<WebhookDeliveryResponse>($"{path}/deliveries/{id}")).AttemptCount == 2,
            Within, "the held attempt recorded");
        var delivery = await vendor.Client.GetJsonAsync<WebhookDeliveryResponse>($"{path}/deliveries/{id}");
        delivery.Attempts!.Select(a => a.StatusCode).ShouldBe([503, 200], ignoreOrder: true, "both attempts are in the log");
        delivery.Status.ShouldBe(DeliveryStatus.Pending, "the late 200 answered the claim the redelivery replaced: the redelivery's retry stands");
        delivery.NextAttemptAt.ShouldNotBeNull("the 503's retry is scheduled");
        delivery.DeliveredAt.ShouldBeNull();
    }
}
