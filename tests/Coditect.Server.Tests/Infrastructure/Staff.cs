using System.Net;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>Platform staff as operators make them (<c>create-staff</c>), and the staff API's calls.</summary>
public static class Staff
{
    /// <summary>Signs up a fresh user and flags them staff with the <c>create-staff</c> command.</summary>
    public static async Task<Caller> RegisterStaffAsync(this Client client)
    {
        var person = await client.RegisterAsync();
        var (exit, _, error) = await client.App.RunCommandAsync(StaffAccounts.CommandName, person.Email);
        exit.ShouldBe(0, error);
        return person;
    }

    /// <summary>Runs an operator command in process, on the server's services, as the process would after its migrations.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunCommandAsync(this CoditectApp app, string name, params string[] args)
    {
        var command = app.Services.GetServices<OperatorCommand>().Single(c => c.Name == name);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await command.RunAsync(app.Services, args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    public static Task<HttpResponseMessage> SuspendAsync(this Caller staff, Guid organizationId) =>
        staff.Client.PostAsync($"/api/v1/staff/organizations/{organizationId}/suspend");

    public static Task<HttpResponseMessage> UnsuspendAsync(this Caller staff, Guid organizationId) =>
        staff.Client.PostAsync($"/api/v1/staff/organizations/{organizationId}/unsuspend");

    public static async Task SuspendOrganizationAsync(this Caller staff, Guid organizationId) =>
        (await staff.SuspendAsync(organizationId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

    public static async Task UnsuspendOrganizationAsync(this Caller staff, Guid organizationId) =>
        (await staff.UnsuspendAsync(organizationId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
}
