using Fabric.Appliance.Pages;
using Fabric.Appliance.Tests.Instances;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fabric.Appliance.Tests.Web;

/// <summary>A real appliance on Kestrel (127.0.0.1, port 0, a temporary data folder) and a headless Debian
/// Chromium driven by Playwright. Playwright's own browsers are never downloaded: the system Chromium is
/// launched by path. The factory starts the entry point (Program.cs) of the assembly of
/// <see cref="IndexModel"/>; <c>Program</c> itself is ambiguous here, the CLI has one too.</summary>
public sealed class WebFixture : IAsyncLifetime
{
    public const string AdminToken = "web-test-admin-token-0123456789";
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly string _dataDir = Directory.CreateTempSubdirectory("fabric-web-").FullName;
    private WebApplicationFactory<IndexModel>? _factory;
    private IPlaywright? _playwright;

    public Uri BaseUrl { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    /// <summary>The lab's hypervisors for the instances page: SSH targets in 10.0.0.0/24 reach these fakes, every other
    /// target the appliance's real SSH pool.</summary>
    internal FakeHypervisors Hypervisors { get; } = new();

    /// <summary>Where screenshots go: the test output folder.</summary>
    public static string ArtifactsDir => Path.Combine(AppContext.BaseDirectory, "web-artifacts");

    public async Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<IndexModel>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Urls", "http://127.0.0.1:0");
            builder.UseSetting("Fabric:DataDir", _dataDir);
            builder.UseSetting("Fabric:AdminToken", AdminToken);
            builder.UseSetting("Fabric:PublicUrl", "http://10.99.0.1:8080");
            builder.ConfigureTestServices(services => services.AddSingleton<IRemoteHosts>(sp => new RoutedRemoteHosts(
                RemoteHosts.Create(sp.GetRequiredService<RemoteOptions>(), sp.GetRequiredService<Fabric.Remote.Keys.SshIdentity>(), sp.GetRequiredService<TimeProvider>(), null),
                Hypervisors.Hosts)));
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        BaseUrl = new Uri(addresses.Addresses.First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        var network = await _factory.Services.GetRequiredService<IRegistry>().AddNetworkAsync(
            new NetworkInput { Name = "boot", Cidr = "10.99.0.0/24", Gateway = "10.99.0.1", Dns = ["10.99.0.1"], PoolStart = "10.99.0.100", PoolEnd = "10.99.0.200" },
            Fabric.Core.Events.Actor.Admin);
        if (!network.Succeeded)
        {
            throw new InvalidOperationException(network.Error.ToString());
        }

        // Generous waits: the machine running the tests may be busy (these are not timing assertions).
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        Directory.CreateDirectory(ArtifactsDir);
    }

    /// <summary>A fresh browser context (its own cookies) with a page.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        return (context, page);
    }

    /// <summary>A page already signed in with the admin token.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> SignedInPageAsync()
    {
        var (context, page) = await NewPageAsync();
        await page.GotoAsync("/login");
        await page.FillAsync("#Token", AdminToken);
        // Wait from before the click: the redirect to "/" can finish before a wait started afterwards looks at it.
        var home = page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/", new PageWaitForURLOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        await page.ClickAsync("#login button[type=submit]");
        await home;
        return (context, page);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by the registry: the folder is under /tmp and small.
        }
    }
}

/// <summary>Targets in 10.0.0.0/24 go to the fakes, the rest to the real pool.</summary>
internal sealed class RoutedRemoteHosts(IRemoteHosts real, IRemoteHosts fake) : IRemoteHosts
{
    public IRemoteHost For(SshTarget target) => target.Host.StartsWith("10.0.0.", StringComparison.Ordinal) ? fake.For(target) : real.For(target);

    public async ValueTask DisposeAsync()
    {
        await real.DisposeAsync();
        await fake.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web";
}
