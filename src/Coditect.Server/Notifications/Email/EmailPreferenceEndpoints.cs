using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Notifications.Email;

/// <summary>
/// The signed-in person's choice of notification e-mail (<c>/api/v1/me/email-preferences</c>); the console's profile
/// page uses the same <see cref="EmailPreferences"/>.
/// </summary>
public static class EmailPreferenceEndpoints
{
    public static void MapEmailPreferences(this RouteGroupBuilder api)
    {
        var me = api.MapGroup("/me/email-preferences").WithTags("Authentication").RequireAuthorization();
        me.MapGet("/", Get).WithName("getEmailPreferences").WithSummary("Which notification e-mail the signed-in person gets")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired);
        me.MapPut("/", Put).WithName("putEmailPreferences").WithSummary("Turn notification e-mail kinds off (the ones listed) and on (the rest)")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired);
    }

    private static async Task<Results<Ok<EmailPreferencesResponse>, ProblemHttpResult>> Get(TenantContext tenant, EmailPreferences preferences, CancellationToken ct) =>
        tenant.UserId is { } userId && tenant.ApiKeyId is null
            ? TypedResults.Ok(await preferences.GetAsync(userId, ct))
            : UserOnly();

    private static async Task<Results<Ok<EmailPreferencesResponse>, ProblemHttpResult>> Put(
        UpdateEmailPreferencesRequest body, TenantContext tenant, EmailPreferences preferences, CancellationToken ct)
    {
        if (tenant.UserId is not { } userId || tenant.ApiKeyId is not null)
        {
            return UserOnly();
        }

        var updated = await preferences.SetAsync(userId, body.Muted, ct);
        return updated.Value is { } answer ? TypedResults.Ok(answer) : updated.Refusal!.ToProblem();
    }

    private static ProblemHttpResult UserOnly() =>
        Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired, "E-mail preferences belong to a signed-in person, not an API key.");
}

/// <summary>Reads and sets which notification kinds a person turned off (scoped).</summary>
public sealed class EmailPreferences(CoditectDbContext db)
{
    public async Task<EmailPreferencesResponse> GetAsync(Guid userId, CancellationToken ct)
    {
        var user = await db.Set<User>().AsNoTracking().SingleAsync(u => u.Id == userId, ct);
        return Answer(user);
    }

    public async Task<Outcome<EmailPreferencesResponse>> SetAsync(Guid userId, IReadOnlyList<string>? muted, CancellationToken ct)
    {
        var errors = new Validator();
        if (muted is null)
        {
            errors.Add("muted", "is required: the kinds to turn off, [] for none.");
        }
        else
        {
            for (var i = 0; i < muted.Count; i++)
            {
                if (muted[i] is null || !MailKinds.IsOptional(muted[i]))
                {
                    errors.Add($"muted[{i}]", $"must be one of {string.Join(", ", MailKinds.Optional.Keys)} (security mail cannot be turned off).");
                }
            }
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        user.MutedEmailKinds = JsonSerializer.Serialize(muted!.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        await db.SaveChangesAsync(ct);
        return Answer(user);
    }

    private static EmailPreferencesResponse Answer(User user)
    {
        var muted = Mailbox.Muted(user);
        return new EmailPreferencesResponse([.. MailKinds.Optional.Select(k => new EmailPreference(k.Key, k.Value, !muted.Contains(k.Key)))]);
    }
}
