using Coditect.Contracts.Notifications;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Notifications.Pages;

/// <summary>
/// The organization's webhook endpoints, and the form that adds one (its signing secret shown once), through the same
/// use cases as <c>/api/v1/orgs/{org}/webhooks</c>.
/// </summary>
[RequirePermission(Permission.ManageWebhooks)]
public sealed class WebhooksModel(WebhookAdmin webhooks) : ConsolePage
{
    public IReadOnlyList<WebhookResponse> Endpoints { get; private set; } = [];
    public bool IsFirstPage { get; private set; } = true;
    public string? NextCursor { get; private set; }
    public string? EndpointUrl { get; private set; }
    public string? Description { get; private set; }
    public string? Types { get; private set; }

    public IReadOnlyList<string> EventTypes => WebhookEventTypes.All;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(
        [FromForm(Name = "url")] string? url, [FromForm(Name = "description")] string? description, [FromForm(Name = "event_types")] string? types,
        CancellationToken ct)
    {
        var created = await webhooks.CreateAsync(new CreateWebhookRequest(url, description, SplitTypes(types), true), ct);
        if (created.Value is not { } endpoint)
        {
            ShowErrors(created.Refusal!.Errors ?? new Validator().Add("url", created.Refusal.Title));
            (EndpointUrl, Description, Types) = (url, description, types);
            await LoadAsync(ct);
            var page = Page();
            page.StatusCode = created.Refusal.Status;
            return page;
        }

        Secret = endpoint.Secret;
        return RedirectWith(Shell.OrgPath($"/webhooks/{endpoint.Id}"),
            "The endpoint is added. Copy its signing secret now: it is shown only once.");
    }

    /// <summary>The form's event types: names separated by commas or spaces; none for every type.</summary>
    internal static List<string> SplitTypes(string? types) =>
        [.. (types ?? "").Split([',', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)];

    private async Task LoadAsync(CancellationToken ct)
    {
        var keyset = Keyset.Parse(Request, new Validator(), WebhookAdmin.Sorts);
        var list = await webhooks.ListAsync(keyset, ct);
        Endpoints = list.Items;
        IsFirstPage = keyset.AfterId is null;
        NextCursor = list.NextCursor;
    }
}
