using System.Net;
using Fabric.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fabric.Appliance.Tests.Web;

/// <summary>The operator page in a real headless Chromium against a real appliance.</summary>
[Collection(WebCollection.Name)]
public sealed class WebPageTests(WebFixture fixture)
{
    private static string Unique(string prefix) => $"{prefix}{Random.Shared.Next(100000, 999999)}";

    private static string UniqueMac()
    {
        Span<byte> bytes = stackalloc byte[3];
        Random.Shared.NextBytes(bytes);
        return $"52:54:00:{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}";
    }

    private static ILocator Row(IPage page, string name) => page.Locator($"tr[data-node='{name}']");

    [Fact]
    public async Task AddNode_ThroughTheForm_IsListedUnderItsRoleAndCanBeRemoved()
    {
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;
        var name = Unique("hnode");
        var mac = UniqueMac();

        await page.FillAsync("#Input_Name", name);
        await page.FillAsync("#Input_Mac", mac.ToUpperInvariant().Replace(':', '-'));
        await page.SelectOptionAsync("#Input_Role", "hardware");
        await page.FillAsync("#Input_Root", "aoe:e0.1");
        await page.ClickAsync("#add-node button[type=submit]");

        var row = page.Locator($"#role-hardware tr[data-node='{name}']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("registered");
        await Assertions.Expect(row).ToContainTextAsync(mac);
        await Assertions.Expect(row).ToContainTextAsync("aoe:e0.1");
        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync($"Added {name}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, "nodes.png"), FullPage = true });

        await row.Locator("button.danger").ClickAsync();

        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync($"Removed {name}");
        await Assertions.Expect(Row(page, name)).ToHaveCountAsync(0);
        Assert.Null(fixture.Services.GetRequiredService<IRegistry>().FindNode(name));
    }

    [Fact]
    public async Task NodesPage_StorageNodeUnreachable_MarkedDown()
    {
        // A port on 127.0.0.1 that nothing listens on: the check is refused, the node goes down.
        int closed;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var name = Unique("store");
        var added = await fixture.Services.GetRequiredService<IRegistry>().AddNodeAsync(
            new NodeInput
            {
                Name = name,
                Role = "storage",
                Macs = [UniqueMac()],
                MacField = "mac",
                Pair = Unique("pair"),
                AoeShelf = 7,
                SshAddress = "127.0.0.1",
                SshPort = closed,
                SshHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l",
            },
            Fabric.Core.Events.Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;

        // The first check gives up after its connection retries; the page refreshes itself every 5 s.
        await Assertions.Expect(Row(page, name).Locator(".health-down")).ToHaveTextAsync("down", new() { Timeout = 90_000 });
        await Assertions.Expect(Row(page, name)).ToHaveClassAsync("node-down");

        await page.GotoAsync($"/nodes/{name}");
        await Assertions.Expect(page.Locator("h1 .health-down")).ToHaveTextAsync("down");
        await Assertions.Expect(page.Locator(".health-reason")).ToContainTextAsync($"127.0.0.1:{closed}");
    }

    [Fact]
    public async Task AddNode_BadMac_ShowsTheErrorNextToTheMacField()
    {
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;
        var name = Unique("badmac");

        await page.FillAsync("#Input_Name", name);
        await page.FillAsync("#Input_Mac", "52:54:zz:00:00:01");
        await page.ClickAsync("#add-node button[type=submit]");

        var error = page.Locator("#Input_Mac ~ .error");
        await Assertions.Expect(error).ToContainTextAsync("MAC");
        await Assertions.Expect(page.Locator("#Input_Mac")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("input-validation-error"));
        await Assertions.Expect(page.Locator("#Input_Name ~ .error")).ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("#Input_Name")).ToHaveValueAsync(name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, "bad-mac.png"), FullPage = true });
        Assert.Null(fixture.Services.GetRequiredService<IRegistry>().FindNode(name));
    }

    [Fact]
    public async Task NodePage_ShowsEventsAndRenderedBootScriptWithoutToken()
    {
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;
        var name = Unique("hnode");
        var mac = UniqueMac();
        await page.FillAsync("#Input_Name", name);
        await page.FillAsync("#Input_Mac", mac);
        await page.FillAsync("#Input_Root", "nfs:10.99.0.10:/srv/roots/" + name);
        await page.ClickAsync("#add-node button[type=submit]");

        await page.ClickAsync($"tr[data-node='{name}'] a");

        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync(name);
        var script = page.Locator("#rendered");
        await Assertions.Expect(script).ToContainTextAsync("#!ipxe");
        await Assertions.Expect(script).ToContainTextAsync($"fabric.root=nfs:10.99.0.10:/srv/roots/{name}");
        await Assertions.Expect(script).ToContainTextAsync($"fabric.mac={mac}");
        await Assertions.Expect(script).Not.ToContainTextAsync("fabric.token");
        await Assertions.Expect(page.Locator("#events tbody tr")).Not.ToHaveCountAsync(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, "node.png"), FullPage = true });

        await page.ClickAsync(".tabs a:text-is('pxelinux.cfg')");
        await Assertions.Expect(script).ToContainTextAsync("APPEND console=ttyS0 quiet initrd=initrd.img");
    }

    [Fact]
    public async Task NodePage_DiscoveredNode_GetsRoleAndRoot()
    {
        var registry = fixture.Services.GetRequiredService<IRegistry>();
        var mac = Fabric.Core.MacAddress.Parse(UniqueMac());
        var discovered = await registry.DiscoverAsync(mac, null);
        Assert.Equal(DiscoveryOutcome.Registered, discovered.Outcome);
        var name = discovered.Node.Name;
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;

        await Assertions.Expect(page.Locator($"#role-discovered tr[data-node='{name}']")).ToBeVisibleAsync();
        await page.GotoAsync($"/nodes/{name}");
        await Assertions.Expect(page.Locator("#rendered")).ToContainTextAsync("registered as discovered node");
        await page.SelectOptionAsync("#Change_Role", "hardware");
        await page.FillAsync("#Change_Root", "aoe:e0.zz");
        await page.ClickAsync("#change-node button[type=submit]");
        await Assertions.Expect(page.Locator("#Change_Root ~ .error")).ToContainTextAsync("aoe");

        await page.FillAsync("#Change_Root", "aoe:e0.7");
        await page.ClickAsync("#change-node button[type=submit]");

        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync($"Updated {name}");
        await Assertions.Expect(page.Locator("#rendered")).ToContainTextAsync("fabric.root=aoe:e0.7");
        Assert.Equal(Fabric.Core.NodeState.Registered, registry.FindNode(name)!.State);
    }

    [Fact]
    public async Task NodeList_NodeChangedElsewhere_RefreshesWithoutReload()
    {
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;
        var name = Unique("router");
        var registry = fixture.Services.GetRequiredService<IRegistry>();

        var added = await registry.AddNodeAsync(new NodeInput { Name = name, Role = "router", Macs = [UniqueMac()] }, Fabric.Core.Events.Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        var row = page.Locator($"#role-router tr[data-node='{name}']");
        await Assertions.Expect(row).ToBeVisibleAsync();

        await registry.ApplyAsync(name, Fabric.Core.Lifecycle.NodeTrigger.ReportedUp, Fabric.Core.Events.EventKind.BootUp, "reported up", Fabric.Core.Events.Actor.Node(name));
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("up");
    }

    [Fact]
    public async Task Login_WrongTokenThenRightTokenThenSignOut_OpensAndClosesThePages()
    {
        var (context, page) = await fixture.NewPageAsync();
        await using var _ = context;

        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?ReturnUrl=%2F$"));
        await page.FillAsync("#Token", "not-the-token");
        await page.ClickAsync("#login button[type=submit]");

        await Assertions.Expect(page.Locator("#Token ~ .error")).ToContainTextAsync("not the admin token");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, "login.png"), FullPage = true });
        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));

        await page.FillAsync("#Token", WebFixture.AdminToken);
        await page.ClickAsync("#login button[type=submit]");
        await Assertions.Expect(page).ToHaveURLAsync(fixture.BaseUrl.ToString());
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Nodes");

        await page.ClickAsync("form.signout button");
        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
    }

    [Fact]
    public async Task PostAdd_WithoutSignIn_IsRedirectedToLoginAndAddsNothing()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.BaseUrl };
        var name = Unique("sneaky");

        using var response = await client.PostAsync("/?handler=Add", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Name"] = name,
            ["Input.Mac"] = UniqueMac(),
            ["Input.Role"] = "router",
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Null(fixture.Services.GetRequiredService<IRegistry>().FindNode(name));
    }
}
