using System.Net;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Organizations;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>Brings people into an organization the way users do: an invitation and its acceptance.</summary>
public static class Members
{
    /// <summary>Signs up a fresh user and makes them a member of <paramref name="inviter"/>'s organization with <paramref name="role"/>.</summary>
    public static async Task<Caller> AddMemberAsync(this Caller inviter, string role)
    {
        var person = await inviter.Client.App.Anonymous().RegisterAsync();
        var token = await inviter.InviteAsync(person.Email, role);
        var joined = await person.Client.PostAsync($"/api/v1/invitations/{token}/accept");
        (await joined.ReadAsync<MyOrganization>(HttpStatusCode.OK)).Role.ShouldBe(role);
        return person;
    }

    /// <summary>Invites <paramref name="email"/> to the inviter's organization; returns the single-use token.</summary>
    public static async Task<string> InviteAsync(this Caller inviter, string email, string role)
    {
        var response = await inviter.Client.PostAsync($"{inviter.OrgPath}/invitations", new CreateInvitationRequest(email, role));
        var invitation = await response.ReadAsync<InvitationResponse>(HttpStatusCode.Created);
        return invitation.Token!;
    }

    /// <summary>Creates an API key in the caller's organization; returns it with its secret.</summary>
    public static async Task<ApiKeyResponse> CreateApiKeyAsync(this Caller caller, string role, string name = "ci")
    {
        var response = await caller.Client.PostAsync($"{caller.OrgPath}/api-keys", new CreateApiKeyRequest(name, role));
        return await response.ReadAsync<ApiKeyResponse>(HttpStatusCode.Created);
    }
}
