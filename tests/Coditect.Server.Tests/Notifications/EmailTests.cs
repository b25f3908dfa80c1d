using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Organizations;
using Coditect.Server.Data;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Coditect.Server.Tests.Notifications;

/// <summary>A server whose mail goes to a real SMTP server on loopback, retried after a minute of the test clock.</summary>
public abstract class EmailApp : CoditectApp
{
    public SmtpCatcher Smtp { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Email:Smtp:Host", "127.0.0.1"),
        new("Email:Smtp:Port", Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Email:Smtp:Security", "none"),
        new("Email:From", "CODITECT <noreply@coditect.test>"),
        new("Email:RetrySchedule", "1m,1m,1m"),
        new("Email:PollMilliseconds", "100"),
        new("App:PublicUrl", "https://console.example.com"),
        .. MoreSettings,
    ];

    protected virtual IEnumerable<KeyValuePair<string, string?>> MoreSettings => [];

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Smtp.Dispose();
    }
}

public sealed class EmailAppOnSqlite : EmailApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class EmailAppOnPostgres : EmailApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public abstract partial class EmailTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : EmailApp
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    [GeneratedRegex(@"https://console\.example\.com(/[^\s""<]+)")]
    private static partial Regex ConsoleLink();

    /// <summary>The one message to <paramref name="address"/>, once it has arrived.</summary>
    private async Task<MimeMessage> MailToAsync(string address, int count = 1)
    {
        await Eventually.ShouldHoldAsync(() => Task.FromResult(app.Smtp.To(address).Count >= count), Within, $"{count} message(s) to {address}");
        return app.Smtp.To(address)[count - 1];
    }

    /// <summary>The console path the message links to, checked to be the same in both parts.</summary>
    private static string LinkIn(MimeMessage message)
    {
        message.TextBody.ShouldNotBeNullOrWhiteSpace();
        message.HtmlBody.ShouldNotBeNullOrWhiteSpace();
        var path = ConsoleLink().Match(message.TextBody).Groups[1].Value;
        path.ShouldNotBeEmpty(message.TextBody);
        message.HtmlBody.ShouldContain($"href=\"https://console.example.com{WebUtility.HtmlEncode(path)}\"");
        return path;
    }

    [Fact]
    public async Task A_forgotten_password_is_reset_once_with_the_mailed_link_and_every_sign_in_ends()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var anonymous = app.Anonymous();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        var known = await (await anonymous.PostAsync("/api/v1/auth/password/forgot", new EmailRequest(vendor.Email))).ReadAsync<MailQueuedResponse>(HttpStatusCode.Accepted);
        var stranger = await (await anonymous.PostAsync("/api/v1/auth/password/forgot", new EmailRequest(unknown))).ReadAsync<MailQueuedResponse>(HttpStatusCode.Accepted);
        stranger.ShouldBe(known, "the same answer whether or not the address has an account");
        (await (await anonymous.PostAsync("/api/v1/auth/password/forgot", new EmailRequest("not an address"))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed))
            .GetProperty("errors").TryGetProperty("email", out _).ShouldBeTrue();

        var mail = await MailToAsync(vendor.Email);
        mail.Subject!.ShouldContain("Reset");
        mail.From.Mailboxes.Single().Address.ShouldBe("noreply@coditect.test");
        mail.Headers["X-Coditect-Kind"].ShouldBe(MailKinds.PasswordReset);
        var path = LinkIn(mail);
        path.ShouldStartWith("/password/reset?token=cdr_");
        var token = Uri.UnescapeDataString(path["/password/reset?token=".Length..]);
        app.Smtp.To(unknown).ShouldBeEmpty();
        (await anonymous.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK, "the link opens the console's reset page");

        var weak = await anonymous.PostAsync("/api/v1/auth/password/reset", new ResetPasswordRequest(token, "short"));
        (await weak.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("password", out _).ShouldBeTrue();
        const string replacement = "a brand new and long passphrase";
        (await anonymous.PostAsync("/api/v1/auth/password/reset", new ResetPasswordRequest(token, replacement))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var again = await anonymous.PostAsync("/api/v1/auth/password/reset", new ResetPasswordRequest(token, "yet another long passphrase"));
        (await again.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("token", out _).ShouldBeTrue();

        (await anonymous.PostAsync("/api/v1/auth/refresh", new RefreshRequest(vendor.Tokens.RefreshToken))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(vendor.Email, vendor.Password))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(vendor.Email, replacement))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_reset_link_expires_after_an_hour()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        await app.Anonymous().PostAsync("/api/v1/auth/password/forgot", new EmailRequest(vendor.Email));
        var token = Uri.UnescapeDataString(LinkIn(await MailToAsync(vendor.Email))["/password/reset?token=".Length..]);

        app.Clock.Advance(TimeSpan.FromMinutes(61));
        var late = await app.Anonymous().PostAsync("/api/v1/auth/password/reset", new ResetPasswordRequest(token, "a brand new and long passphrase"));
        (await late.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("token", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task An_invitation_mails_the_invitee_a_link_that_accepts_it()
    {
        var vendor = await app.Anonymous().RegisterAsync(organization: "Acme Tools");
        var invitee = $"invitee-{Guid.NewGuid():N}@example.com";
        var invitation = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/invitations", new CreateInvitationRequest(invitee, "member")))
            .ReadAsync<InvitationResponse>(HttpStatusCode.Created);

        var mail = await MailToAsync(invitee);
        mail.Subject.ShouldBe("You are invited to Acme Tools on CODITECT");
        mail.TextBody!.ShouldContain("Test User invited you to join Acme Tools as member.");
        var path = LinkIn(mail);
        path.ShouldBe($"/invitations/{Uri.EscapeDataString(invitation.Token!)}");

        var token = Uri.UnescapeDataString(path["/invitations/".Length..]);
        var joined = await app.Anonymous().PostAsync("/api/v1/auth/register",
            new RegisterRequest(invitee, "correct horse battery staple", "Invitee", null, token));
        joined.StatusCode.ShouldBe(HttpStatusCode.Created, await joined.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Mail_queued_while_the_smtp_server_is_down_arrives_once_it_is_back()
    {
        var people = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            people.Add((await app.Anonymous().RegisterAsync()).Email);
        }

        app.Smtp.Stop();
        try
        {
            foreach (var email in people)
            {
                (await app.Anonymous().PostAsync("/api/v1/auth/password/forgot", new EmailRequest(email))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
            }

            await Eventually.ShouldHoldAsync(async () => (await MailRowsAsync(people)).All(m => m.AttemptCount >= 1 && m.LastError != null),
                Within, "a failed first attempt for each message");
            (await MailRowsAsync(people)).ShouldAllBe(m => m.Status == MailStatus.Pending, "a refused message waits for its retry");
        }
        finally
        {
            app.Smtp.Start();
        }

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        foreach (var email in people)
        {
            (await MailToAsync(email)).Headers["X-Coditect-Kind"].ShouldBe(MailKinds.PasswordReset);
        }

        await Eventually.ShouldHoldAsync(async () => (await MailRowsAsync(people)).All(m => m.Status == MailStatus.Sent && m.TextBody == null && m.HtmlBody == null),
            Within, "each sent, its bodies (and so the reset link) cleared");
    }

    [Fact]
    public async Task A_person_turns_notification_kinds_off_but_never_security_mail()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var initial = await vendor.Client.GetJsonAsync<EmailPreferencesResponse>("/api/v1/me/email-preferences");
        initial.Kinds.Select(k => k.Kind).ShouldBe(MailKinds.Optional.Keys, ignoreOrder: true);
        initial.Kinds.ShouldAllBe(k => k.Enabled);

        var put = await vendor.Client.Http.PutAsJsonAsync("/api/v1/me/email-preferences", new UpdateEmailPreferencesRequest([MailKinds.SeatsExhausted]), Client.Json);
        var updated = await put.ReadAsync<EmailPreferencesResponse>(HttpStatusCode.OK);
        updated.Kinds.Single(k => k.Kind == MailKinds.SeatsExhausted).Enabled.ShouldBeFalse();
        updated.Kinds.Where(k => k.Kind != MailKinds.SeatsExhausted).ShouldAllBe(k => k.Enabled);

        var security = await vendor.Client.Http.PutAsJsonAsync("/api/v1/me/email-preferences", new UpdateEmailPreferencesRequest([MailKinds.PasswordReset]), Client.Json);
        (await security.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("muted[0]", out _).ShouldBeTrue();

        var key = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/api-keys", new CreateApiKeyRequest("prefs", "owner"))).ReadAsync<ApiKeyResponse>(HttpStatusCode.Created);
        await (await vendor.Client.WithBearer(key.Key!).GetAsync("/api/v1/me/email-preferences")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.UserTokenRequired);
    }

    private async Task<List<OutgoingMail>> MailRowsAsync(IReadOnlyCollection<string> to)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        return await db.Set<OutgoingMail>().AsNoTracking().Where(m => to.Contains(m.ToAddress)).ToListAsync();
    }
}

public sealed class EmailTestsOnSqlite(EmailAppOnSqlite app) : EmailTests<EmailAppOnSqlite>(app);

public sealed class EmailTestsOnPostgres(EmailAppOnPostgres app) : EmailTests<EmailAppOnPostgres>(app);

/// <summary>The same, with sign-up waiting for the address to be confirmed.</summary>
public abstract class VerifyingEmailApp : EmailApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [new("Identity:RequireEmailVerification", "true")];
}

public sealed class VerifyingEmailAppOnSqlite : VerifyingEmailApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class VerifyingEmailAppOnPostgres : VerifyingEmailApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public abstract class EmailVerificationTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : VerifyingEmailApp
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Sign_in_waits_for_the_mailed_link_and_an_invitation_counts_as_confirmation()
    {
        var anonymous = app.Anonymous();
        var email = $"new-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        var signUp = await anonymous.PostAsync("/api/v1/auth/register", new RegisterRequest(email, password, "Newcomer", "Newcomer Org"));
        await signUp.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.EmailNotVerified);
        await (await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(email, password))).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.EmailNotVerified);
        (await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(email, "a wrong password!"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized,
            "a wrong password is still just wrong: the answer does not tell the address exists");

        await Eventually.ShouldHoldAsync(() => Task.FromResult(app.Smtp.To(email).Count == 1), Within, "the confirmation mail");
        var mail = app.Smtp.To(email).Single();
        mail.Headers["X-Coditect-Kind"].ShouldBe(MailKinds.EmailVerification);
        var link = System.Text.RegularExpressions.Regex.Match(mail.TextBody!, @"https://console\.example\.com(/email/verify\?token=\S+)").Groups[1].Value;
        link.ShouldNotBeEmpty(mail.TextBody);
        (await anonymous.GetAsync(link)).StatusCode.ShouldBe(HttpStatusCode.OK, "the link opens a page that asks for a click");
        (await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(email, password))).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "opening the page spends nothing");

        var token = Uri.UnescapeDataString(link["/email/verify?token=".Length..]);
        (await anonymous.PostAsync("/api/v1/auth/email/verify", new VerifyEmailRequest(token))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var owner = await (await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(email, password))).ReadAsync<TokenResponse>(HttpStatusCode.OK);
        (await (await anonymous.PostAsync("/api/v1/auth/email/verify", new VerifyEmailRequest(token))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed))
            .GetProperty("errors").TryGetProperty("token", out _).ShouldBeTrue();

        // An invited person proves the address by following the invitation: no second mail, signed in at once.
        var invitee = $"invitee-{Guid.NewGuid():N}@example.com";
        var invitation = await (await anonymous.WithBearer(owner.AccessToken).PostAsync($"/api/v1/orgs/{owner.Organization!.Slug}/invitations", new CreateInvitationRequest(invitee, "member")))
            .ReadAsync<InvitationResponse>(HttpStatusCode.Created);
        (await anonymous.PostAsync("/api/v1/auth/register", new RegisterRequest(invitee, password, "Invitee", null, invitation.Token))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(invitee, password))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class EmailVerificationTestsOnSqlite(VerifyingEmailAppOnSqlite app) : EmailVerificationTests<VerifyingEmailAppOnSqlite>(app);

public sealed class EmailVerificationTestsOnPostgres(VerifyingEmailAppOnPostgres app) : EmailVerificationTests<VerifyingEmailAppOnPostgres>(app);
