using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Coditect.Console.Tests.Infrastructure;
using Coditect.Console.Tests.Organizations;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Notifications;

[Collection(ConsoleCollection.Name)]
public sealed class WebhookPagesTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task An_owner_adds_an_endpoint_sends_a_test_event_reads_the_log_and_deletes_it(Backend backend)
    {
        using var receiver = Receiver.Start();
        var page = await console.NewPageAsync(backend);
        await page.SignUpAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No endpoints yet.")).ToBeVisibleAsync();

        await page.GetByLabel("URL").FillAsync("ftp://example.com/hook");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" }).ClickAsync();
        await Assertions.Expect(page.Locator("#hook-url-error")).ToContainTextAsync("http or https");

        await page.GetByLabel("URL").FillAsync(receiver.Url);
        await page.GetByLabel("Description").FillAsync("Our billing system");
        await page.GetByLabel("Event types").FillAsync("license.*, session.kicked");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("shown only once");
        var secret = (await page.Locator("#webhook-secret").TextContentAsync())!.Trim();
        secret.ShouldStartWith("whsec_");
        await Assertions.Expect(page.Locator("#fact-events")).ToHaveTextAsync("license.*, session.kicked");

        await page.GetByRole(AriaRole.Button, new() { Name = "Send test event" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("on its way");
        (await page.ContentAsync()).ShouldNotContain(secret, Case.Sensitive, "the secret is shown once");
        await receiver.WaitAsync(1);
        receiver.Signatures.Single().ShouldStartWith("v1,");
        var row = page.Locator("#deliveries-table tbody tr").Filter(new() { HasText = "webhook.test" });
        for (var i = 0; i < 50 && !(await row.TextContentAsync() ?? "").Contains("succeeded", StringComparison.Ordinal); i++)
        {
            await Task.Delay(200);
            await page.ReloadAsync();
        }

        await Assertions.Expect(row).ToContainTextAsync("succeeded");
        await Assertions.Expect(row).ToContainTextAsync("200");
        await page.ShouldBeAccessibleAsync();

        await row.GetByRole(AriaRole.Link, new() { Name = "webhook.test" }).ClickAsync();
        await Assertions.Expect(page.Locator("#attempts-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#attempts-table tbody tr")).ToContainTextAsync("received");
        await page.ShouldBeAccessibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "← The endpoint" }).ClickAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Turn off" }).ClickAsync();
        await Assertions.Expect(page.Locator("#webhook-status")).ToHaveTextAsync("off");
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }).ClickAsync();
        await Assertions.Expect(page.Locator("#webhook-status")).ToHaveTextAsync("on");

        await page.GetByRole(AriaRole.Link, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Delete this endpoint?");
        await page.ShouldBeAccessibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete endpoint" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("is deleted");
        await Assertions.Expect(page.GetByText("No endpoints yet.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_member_sees_no_webhooks_and_is_refused_their_pages()
    {
        var ownerPage = await console.NewPageAsync(Backend.Sqlite);
        var owner = await ownerPage.SignUpAsync();
        var (page, _) = await console.AddMemberAsync(Backend.Sqlite, ownerPage, owner, "member");

        await page.GotoAsync(owner.OrgPath());
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" })).ToHaveCountAsync(0);
        (await page.GotoAsync(owner.OrgPath("/webhooks")))!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        var forged = await page.ForgePostAsync(owner.OrgPath("/webhooks"), new Dictionary<string, string> { ["url"] = "https://example.com/hook" });
        forged.Status.ShouldBe((int)HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_webhook_pages_are_accessible(ColorScheme scheme)
    {
        var page = await console.NewPageAsync(Backend.Sqlite, scheme);
        await page.SignUpAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await page.ShouldBeAccessibleAsync();
        await page.GetByLabel("URL").FillAsync("https://hooks.example.com/coditect");
        await page.GetByLabel("Event types").FillAsync("license.*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" }).ClickAsync();
        await Assertions.Expect(page.Locator("#webhook-secret")).ToBeVisibleAsync();
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("webhook", scheme);
    }

    /// <summary>A loopback HTTP receiver (HttpListener) that answers 200 "received" and keeps each signature header.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly SemaphoreSlim _arrived = new(0);

        public ConcurrentQueue<string> Signatures { get; } = new();

        public string Url { get; private init; } = "";

        public static Receiver Start()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var receiver = new Receiver { Url = $"http://127.0.0.1:{port}/hooks/" };
            receiver._listener.Prefixes.Add(receiver.Url);
            receiver._listener.Start();
            _ = receiver.ServeAsync();
            return receiver;
        }

        public async Task WaitAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                (await _arrived.WaitAsync(TimeSpan.FromSeconds(15))).ShouldBeTrue("the webhook arrives");
            }
        }

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                Signatures.Enqueue(context.Request.Headers["webhook-signature"] ?? "");
                var body = "received"u8.ToArray();
                context.Response.StatusCode = 200;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
                _arrived.Release();
            }
        }
    }
}
