namespace Coditect.Client.Tests.Leases;

/// <summary>problem+json answers become typed exceptions; nothing surfaces as a bare HttpRequestException.</summary>
public sealed class ErrorMappingTests
{
    private static string Problem(int status, string code, string extra = "") =>
        $$"""{"type":"https://httpstatuses.io/{{status}}","title":"Title for {{code}}.","status":{{status}},"code":"{{code}}"{{extra}}}""";

    [Fact]
    public void No_seats_carries_the_seat_counts()
    {
        var e = Wire.ToException(409, Problem(409, "NO_SEATS_AVAILABLE", ""","seats_total":3,"seats_used":3"""), null, "req-1")
            .ShouldBeOfType<NoSeatsAvailableException>();
        e.SeatsTotal.ShouldBe(3);
        e.SeatsUsed.ShouldBe(3);
        e.Status.ShouldBe(409);
        e.Code.ShouldBe("NO_SEATS_AVAILABLE");
        e.RequestId.ShouldBe("req-1");
        e.Message.ShouldBe("Title for NO_SEATS_AVAILABLE.");
    }

    [Theory]
    [InlineData(404, "LICENSE_NOT_FOUND", typeof(LicenseNotFoundException))]
    [InlineData(403, "LICENSE_SUSPENDED", typeof(LicenseSuspendedException))]
    [InlineData(403, "LICENSE_EXPIRED", typeof(LicenseExpiredException))]
    [InlineData(403, "ORGANIZATION_SUSPENDED", typeof(OrganizationSuspendedException))]
    [InlineData(410, "SESSION_EXPIRED", typeof(SessionExpiredException))]
    [InlineData(410, "SESSION_RELEASED", typeof(SessionReleasedException))]
    [InlineData(404, "SESSION_NOT_FOUND", typeof(SessionNotFoundException))]
    [InlineData(429, "RATE_LIMITED", typeof(RateLimitedException))]
    [InlineData(503, "SERVICE_UNAVAILABLE", typeof(CoditectUnavailableException))]
    [InlineData(503, "SEAT_LEDGER_UNAVAILABLE", typeof(CoditectUnavailableException))]
    [InlineData(400, "VALIDATION_FAILED", typeof(InvalidRequestException))]
    [InlineData(401, "INVALID_CREDENTIALS", typeof(AuthenticationException))]
    [InlineData(403, "FORBIDDEN", typeof(AuthenticationException))]
    [InlineData(404, "ORG_NOT_FOUND", typeof(ResourceNotFoundException))]
    [InlineData(409, "SLUG_TAKEN", typeof(ConflictException))]
    [InlineData(418, "SOMETHING_NEW", typeof(CoditectException))]
    public void Every_code_maps_to_its_exception(int status, string code, Type expected)
    {
        var e = Wire.ToException(status, Problem(status, code), null, null);
        e.GetType().ShouldBe(expected);
        e.Code.ShouldBe(code);
        e.Status.ShouldBe(status);
    }

    [Fact]
    public void A_non_JSON_gateway_error_is_unavailable_and_transient_with_its_Retry_After()
    {
        var e = Wire.ToException(502, "<html>Bad gateway</html>", TimeSpan.FromSeconds(7), null);
        e.ShouldBeOfType<CoditectUnavailableException>().IsTransient.ShouldBeTrue();
        e.RetryAfter.ShouldBe(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public void Validation_errors_keep_their_fields()
    {
        var e = Wire.ToException(400, Problem(400, "VALIDATION_FAILED", ""","detail":"Check the field: hardware_id.","errors":{"hardware_id":["is required."]}"""), null, null);
        e.Errors["hardware_id"].ShouldBe(["is required."]);
        e.Message.ShouldContain("hardware_id is required.");
    }

    [Fact]
    public async Task A_refused_connection_is_CoditectUnavailableException_not_HttpRequestException()
    {
        using var client = new LicenseClient(new Uri("http://127.0.0.1:1"), "KEY",
            new LicenseClientOptions { Retry = new RetryPolicy { MaxAttempts = 1 }, JwksCachePath = "" });
        var e = await Should.ThrowAsync<CoditectUnavailableException>(() => client.ValidateAsync());
        e.Code.ShouldBe(CoditectUnavailableException.Unreachable);
        e.Status.ShouldBe(0);
    }

    [Fact]
    public void HardwareId_is_a_salted_hash_of_the_machine_id_and_stable()
    {
        var id = HardwareId.FromMachineId("0123456789abcdef0123456789abcdef");
        id.Length.ShouldBe(64);
        id.ShouldMatch("^[0-9a-f]{64}$");
        id.ShouldNotContain("0123456789abcdef");
        HardwareId.FromMachineId(" 0123456789ABCDEF0123456789ABCDEF\n").ShouldBe(id);
        HardwareId.FromMachineId("another").ShouldNotBe(id);
    }

    [Fact]
    public void HardwareId_Default_hashes_this_machines_id()
    {
        var machineId = File.ReadAllText(File.Exists("/etc/machine-id") ? "/etc/machine-id" : "/var/lib/dbus/machine-id");
        HardwareId.Default().ShouldBe(HardwareId.FromMachineId(machineId));
        HardwareId.Default().ShouldBe(HardwareId.Default());
    }
}
