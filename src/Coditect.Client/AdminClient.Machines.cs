using Coditect.Contracts.Licensing;

namespace Coditect.Client;

/// <summary>Node-locked licences' machines and signed licence files.</summary>
public sealed partial class AdminClient
{
    /// <summary>The machines activated on a node-locked licence, newest first.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="search">Only machines whose hardware id or name contains this.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The machines, page by page.</returns>
    public IAsyncEnumerable<MachineResponse> ListMachinesAsync(string org, Guid licenseId, string? search = null, CancellationToken ct = default) =>
        PagesAsync<MachineResponse>(Org(org, $"licenses/{licenseId}/machines"), [("search", search)], ct);

    /// <summary>Deactivates a machine of a licence: its place is free at once.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="machineId">The machine.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes when the machine is deactivated.</returns>
    /// <exception cref="ResourceNotFoundException">No such licence or machine (<c>LICENSE_NOT_FOUND</c>, <c>MACHINE_NOT_FOUND</c>).</exception>
    public Task DeactivateMachineAsync(string org, Guid licenseId, Guid machineId, CancellationToken ct = default) =>
        SendAsync<object?>(HttpMethod.Delete, Org(org, $"licenses/{licenseId}/machines/{machineId}"), null, true, ct);

    /// <summary>Issues a signed licence file for one machine or, without <paramref name="hardwareId"/>, the licence as a whole.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="hardwareId">The air-gapped machine, or null.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The file and the key set; save the whole answer as the file (<see cref="LicenseFile.Verify"/> reads it).</returns>
    /// <exception cref="ConflictException">The licence is suspended (<c>LICENSE_SUSPENDED</c>) or expired (<c>LICENSE_EXPIRED</c>).</exception>
    public Task<LicenseFileResponse> IssueLicenseFileAsync(string org, Guid licenseId, string? hardwareId = null, CancellationToken ct = default) =>
        SendAsync<LicenseFileResponse>(HttpMethod.Post, Org(org, $"licenses/{licenseId}/file"), new LicenseFileRequest(hardwareId), true, ct);
}
