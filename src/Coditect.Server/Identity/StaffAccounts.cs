using Coditect.Server.Data;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Identity;

/// <summary><c>Staff:*</c> settings.</summary>
public sealed class StaffOptions
{
    public const string Section = "Staff";

    /// <summary>
    /// Users flagged staff at every start (<c>Staff__Emails__0=ops@example.com</c>, ...). Only adds the flag: taking an
    /// address off the list revokes nothing (<c>create-staff EMAIL --revoke</c> does).
    /// </summary>
    public IReadOnlyList<string> Emails { get; set; } = [];

    /// <summary>Every entry is an e-mail address, as sign-up requires; otherwise the server stops at start.</summary>
    internal static bool AreValid(StaffOptions options) => options.Emails.All(email =>
    {
        var errors = new Validator();
        errors.Email("email", email);
        return errors.IsValid;
    });
}

/// <summary>
/// Who is platform staff (<see cref="User.IsStaff"/>, which <see cref="StaffHandler"/> reads on every request, so a
/// change applies at the user's next request): flagged by an operator with <c>create-staff EMAIL [--revoke]</c>, or
/// listed in <c>Staff:Emails</c> and flagged at start. Never through the API: there is no staff to ask before the first.
/// </summary>
public static class StaffAccounts
{
    public const string CommandName = "create-staff";
    private const string Usage = "usage: create-staff EMAIL [--revoke]";

    /// <summary>
    /// The <c>create-staff</c> command: flags the user with that e-mail address as staff, or clears the flag with
    /// <c>--revoke</c>. Exit 1 when no user has the address (they sign up first), 2 on bad arguments.
    /// </summary>
    public static async Task<int> CreateStaffAsync(IServiceProvider services, IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        // Settings given on the command line (Key=value) are not arguments. Any other option is refused, so that a
        // mistyped --revoke cannot grant the flag it meant to take away.
        var arguments = args.Where(a => !a.Contains('=', StringComparison.Ordinal)).ToList();
        var revoke = arguments.Remove("--revoke");
        if (arguments is not [var email] || email.StartsWith('-'))
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var normalized = User.Normalize(email);
        var user = await db.Set<User>().FirstOrDefaultAsync(u => u.NormalizedEmail == normalized);
        if (user is null)
        {
            await error.WriteLineAsync($"No user has the e-mail address {email}. They sign up first; then run {CommandName} again.");
            return 1;
        }

        if (user.IsStaff != revoke)
        {
            await output.WriteLineAsync($"{user.Email} {(revoke ? "is not staff" : "is staff already")}: nothing changed.");
            return 0;
        }

        user.IsStaff = !revoke;
        await db.SaveChangesAsync();
        await output.WriteLineAsync(revoke
            ? $"{user.Email} is no longer staff: the staff area and the staff API refuse them from their next request."
            : $"{user.Email} is now staff: the staff area and the staff API admit them from their next request.");
        return 0;
    }

    /// <summary>
    /// Flags the users <c>Staff:Emails</c> lists (at start, on every node: the flag is idempotent). An address no user
    /// has yet is logged once, at Information, and flagged at the first start after its owner signs up.
    /// </summary>
    public static async Task FlagListedAsync(IServiceProvider services, IReadOnlyList<string> emails, ILogger logger, CancellationToken ct)
    {
        if (emails.Count == 0)
        {
            return;
        }

        var listed = emails.Select(User.Normalize).Distinct(StringComparer.Ordinal).ToList();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var users = await db.Set<User>().Where(u => listed.Contains(u.NormalizedEmail)).ToListAsync(ct);
        var flagged = users.Where(u => !u.IsStaff).ToList();
        foreach (var user in flagged)
        {
            user.IsStaff = true;
        }

        await db.SaveChangesAsync(ct);
        foreach (var user in flagged)
        {
            logger.LogInformation("Staff:Emails: {Email} is now staff", user.Email);
        }

        foreach (var missing in listed.Except(users.Select(u => u.NormalizedEmail), StringComparer.Ordinal))
        {
            logger.LogInformation("Staff:Emails lists {Email}, but no user has that address yet; it is flagged at the first start after they sign up", missing);
        }
    }
}
