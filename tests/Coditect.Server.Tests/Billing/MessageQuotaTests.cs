using System.Net;
using System.Text;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.DevContext.WorkSessions;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Billing;

/// <summary>The plan's message and stored-byte quotas, enforced at every append and import ("tiny": 3 messages, 400 bytes).</summary>
public abstract class MessageQuotaTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : BillingApp
{
    private readonly Client _anonymous = app.Anonymous();

    private async Task<Caller> OnTinyPlanAsync()
    {
        var owner = await _anonymous.RegisterAsync();
        var staff = await _anonymous.RegisterStaffAsync();
        await staff.SetPlanOkAsync(owner.OrgId, "tiny");
        return owner;
    }

    [Fact]
    public async Task A_batch_past_the_message_quota_is_402_and_stores_nothing_while_known_messages_still_pass()
    {
        var owner = await OnTinyPlanAsync();
        var session = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("one", externalId: "m1"), WorkSessionSteps.Say("two", externalId: "m2"));

        var refused = await owner.AppendAsync(session.Id, WorkSessionSteps.Say("three", externalId: "m3"), WorkSessionSteps.Say("four", externalId: "m4"));

        await refused.ShouldBeOverQuotaAsync("messages", 3, 2, "tiny");
        (await owner.UsageAsync()).Quota("messages").Used.ShouldBe(2);
        // A re-send of what is stored adds nothing, so it is not refused; one more message still fits.
        (await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("one", externalId: "m1"))).AlreadyKnown.ShouldBe(1);
        (await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("three", externalId: "m3"))).Inserted.ShouldBe(1);
        await (await owner.AppendAsync(session.Id, WorkSessionSteps.Say("four", externalId: "m4"))).ShouldBeOverQuotaAsync("messages", 3, 3, "tiny");
    }

    [Fact]
    public async Task New_content_past_the_byte_quota_is_402_but_content_already_stored_costs_nothing()
    {
        var owner = await OnTinyPlanAsync();
        var session = await owner.CreateWorkSessionAsync();
        var big = new string('x', 300);
        await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say(big));
        var used = (await owner.UsageAsync()).Quota("message_bytes").Used!.Value;

        await (await owner.AppendAsync(session.Id, WorkSessionSteps.Say(new string('y', 300))))
            .ShouldBeOverQuotaAsync("message_bytes", 400, used, "tiny");
        // The same text again is stored once: no new bytes, so it fits.
        (await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say(big))).NewBytes.ShouldBe(0);
        (await owner.UsageAsync()).Quota("message_bytes").Used.ShouldBe(used);
    }

    [Fact]
    public async Task An_import_past_the_quota_is_402_and_an_import_after_an_upgrade_resumes()
    {
        var owner = await OnTinyPlanAsync();
        var chat = """[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"},{"role":"assistant","content":"d"}]""";
        var path = $"{owner.OrgPath}/work-sessions/import?format=chat&external_id=quota-chat";

        var refused = await owner.Client.Http.PostAsync(path, new StringContent(chat, Encoding.UTF8, "application/json"));

        await refused.ShouldBeOverQuotaAsync("messages", 3, 0, "tiny");
        var staff = await _anonymous.RegisterStaffAsync();
        await staff.SetPlanOkAsync(owner.OrgId, "enterprise");
        var imported = await (await owner.Client.Http.PostAsync(path, new StringContent(chat, Encoding.UTF8, "application/json")))
            .ReadAsync<TranscriptImportResponse>(HttpStatusCode.OK);
        imported.Messages.ShouldBe(4);
    }
}

public sealed class MessageQuotaTestsOnSqlite(BillingSqliteApp app) : MessageQuotaTests<BillingSqliteApp>(app);

public sealed class MessageQuotaTestsOnPostgres(BillingPostgresApp app) : MessageQuotaTests<BillingPostgresApp>(app);
