using Coditect.Contracts.Common;
using Coditect.Contracts.Notifications;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>The webhook API under <c>/api/v1/orgs/{org}/webhooks</c> (ManageWebhooks: owners and admins), and the event type catalog.</summary>
public static class WebhookEndpoints
{
    public static void MapWebhooks(this IEndpointRouteBuilder app, RouteGroupBuilder org)
    {
        app.MapGet("/api/v1/webhooks/event-types", () => TypedResults.Ok(new WebhookEventTypesResponse(WebhookEventTypes.All)))
            .WithTags("Webhooks").WithName("listWebhookEventTypes").WithSummary("The event types an endpoint may subscribe to");

        var hooks = org.MapGroup("/webhooks").WithTags("Webhooks");
        hooks.MapGet("/", List).RequirePermission(Permission.ManageWebhooks)
            .WithName("listWebhooks").WithSummary("List webhook endpoints, oldest first")
            .WithKeysetPaging("created_at", [.. WebhookAdmin.Sorts.Names]);
        hooks.MapPost("/", Create).RequirePermission(Permission.ManageWebhooks)
            .WithName("createWebhook").WithSummary("Create a webhook endpoint; the answer shows its signing secret once");
        hooks.MapGet("/{id:guid}", Get).RequirePermission(Permission.ManageWebhooks)
            .WithName("getWebhook").WithSummary("Read a webhook endpoint").ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WebhookNotFound);
        hooks.MapPatch("/{id:guid}", Update).RequirePermission(Permission.ManageWebhooks)
            .WithName("updateWebhook").WithSummary("Change the members of an endpoint that are sent; enabled: true turns a disabled one back on")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WebhookNotFound);
        hooks.MapDelete("/{id:guid}", Delete).RequirePermission(Permission.ManageWebhooks)
            .WithName("deleteWebhook").WithSummary("Delete an endpoint and its delivery log")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WebhookNotFound);
        hooks.MapPost("/{id:guid}/rotate-secret", Rotate).RequirePermission(Permission.ManageWebhooks)
            .WithName("rotateWebhookSecret").WithSummary("A new signing secret, shown once; the old one also signs for 24 hours")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WebhookNotFound);
        hooks.MapPost("/{id:guid}/test", Test).RequirePermission(Permission.ManageWebhooks)
            .WithName("testWebhook").WithSummary("Queue a webhook.test event for this endpoint")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WebhookNotFound);
        hooks.MapGet("/{id:guid}/deliveries", Deliveries).RequirePermission(Permission.ManageWebhooks)
            .WithName("listWebhookDeliveries").WithSummary("The endpoint's deliveries, newest first")
            .WithKeysetPaging("-created_at", [.. WebhookAdmin.DeliverySorts.Names])
            .WithQuery(QueryParameter.OneOf("status", "Only deliveries in this state.", DeliveryStatus.Pending, DeliveryStatus.Succeeded, DeliveryStatus.Failed))
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WebhookNotFound);
        hooks.MapGet("/{id:guid}/deliveries/{deliveryId:guid}", Delivery).RequirePermission(Permission.ManageWebhooks)
            .WithName("getWebhookDelivery").WithSummary("One delivery with every attempt")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WebhookDeliveryNotFound);
        hooks.MapPost("/{id:guid}/deliveries/{deliveryId:guid}/redeliver", Redeliver).RequirePermission(Permission.ManageWebhooks)
            .WithName("redeliverWebhook").WithSummary("Send a delivery again now, with the same webhook-id")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WebhookDeliveryNotFound);
    }

    private static async Task<Results<Ok<CursorPage<WebhookResponse>>, ProblemHttpResult>> List(WebhookAdmin webhooks, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, WebhookAdmin.Sorts);
        return errors.IsValid ? TypedResults.Ok(await webhooks.ListAsync(keyset, ct)) : Problems.Validation(errors);
    }

    private static async Task<Results<Created<WebhookResponse>, ProblemHttpResult>> Create(
        CreateWebhookRequest body, OrgScope scope, WebhookAdmin webhooks, CancellationToken ct)
    {
        var created = await webhooks.CreateAsync(body, ct);
        return created.Value is { } endpoint
            ? TypedResults.Created($"/api/v1/orgs/{scope.Organization.Slug}/webhooks/{endpoint.Id}", endpoint)
            : created.Refusal!.ToProblem();
    }

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Get(Guid id, WebhookAdmin webhooks, CancellationToken ct) =>
        await webhooks.GetAsync(id, ct) is { } endpoint ? TypedResults.Ok(endpoint) : NotFound();

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Update(Guid id, UpdateWebhookRequest body, WebhookAdmin webhooks, CancellationToken ct) =>
        Answer(await webhooks.UpdateAsync(id, body, ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, WebhookAdmin webhooks, CancellationToken ct) =>
        await webhooks.DeleteAsync(id, ct) ? TypedResults.NoContent() : NotFound();

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Rotate(Guid id, WebhookAdmin webhooks, CancellationToken ct) =>
        Answer(await webhooks.RotateSecretAsync(id, ct));

    private static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> Test(Guid id, WebhookAdmin webhooks, CancellationToken ct) =>
        await webhooks.SendTestAsync(id, ct) is { } delivery ? TypedResults.Accepted((string?)null, delivery) : NotFound();

    private static async Task<Results<Ok<CursorPage<WebhookDeliveryResponse>>, ProblemHttpResult>> Deliveries(
        Guid id, WebhookAdmin webhooks, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, WebhookAdmin.DeliverySorts);
        var status = request.Query["status"].ToString();
        if (status.Length > 0 && status is not (DeliveryStatus.Pending or DeliveryStatus.Succeeded or DeliveryStatus.Failed))
        {
            errors.Add("status", "must be pending, succeeded or failed.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await webhooks.DeliveriesAsync(id, status, keyset, ct) is { } page ? TypedResults.Ok(page) : NotFound();
    }

    private static async Task<Results<Ok<WebhookDeliveryResponse>, ProblemHttpResult>> Delivery(Guid id, Guid deliveryId, WebhookAdmin webhooks, CancellationToken ct) =>
        await webhooks.DeliveryAsync(id, deliveryId, ct) is { } delivery ? TypedResults.Ok(delivery) : DeliveryNotFound();

    private static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> Redeliver(Guid id, Guid deliveryId, WebhookAdmin webhooks, CancellationToken ct) =>
        await webhooks.RedeliverAsync(id, deliveryId, ct) is { } delivery ? TypedResults.Accepted((string?)null, delivery) : DeliveryNotFound();

    private static Results<Ok<WebhookResponse>, ProblemHttpResult> Answer(Outcome<WebhookResponse> outcome) =>
        outcome.Value is { } endpoint ? TypedResults.Ok(endpoint) : outcome.Refusal!.ToProblem();

    private static ProblemHttpResult NotFound() => Problems.NotFound(ProblemCodes.WebhookNotFound, "The webhook endpoint");

    private static ProblemHttpResult DeliveryNotFound() => Problems.NotFound(ProblemCodes.WebhookDeliveryNotFound, "The delivery");
}
