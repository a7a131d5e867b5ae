using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Hosting;
using Fabric.Boot;
using Fabric.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fabric.Appliance.Tests.Api;

/// <summary>A real appliance on Kestrel, bound to 127.0.0.1 port 0, with a throwaway data folder.</summary>
public sealed class ApplianceHost : IAsyncDisposable
{
    private readonly bool _ownsDataDir;

    private ApplianceHost(WebApplication app, string dataDir, string bootDir, HttpClient client, bool ownsDataDir)
    {
        _ownsDataDir = ownsDataDir;
        App = app;
        DataDir = dataDir;
        BootDir = bootDir;
        Client = client;
    }

    public WebApplication App { get; }

    public string DataDir { get; }

    /// <summary>The boot folder, next to the data folder (never inside it).</summary>
    public string BootDir { get; }

    public Uri BaseAddress => Client.BaseAddress!;

    /// <summary>A client without credentials.</summary>
    public HttpClient Client { get; }

    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public IRegistry Registry => App.Services.GetRequiredService<IRegistry>();

    public static async Task<ApplianceHost> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        bool withRenderer = true,
        string? dataDir = null)
    {
        bool owns = dataDir is null;
        dataDir ??= Directory.CreateTempSubdirectory("fabric-appliance-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Testing" });
        var config = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Fabric:DataDir"] = dataDir,
            ["Fabric:BootDir"] = dataDir.TrimEnd('/') + "-boot",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (withRenderer)
        {
            builder.Services.AddSingleton<IBootRenderer, TestRenderer>();
        }

        services?.Invoke(builder.Services);
        var problems = builder.AddFabricAppliance();
        Assert.Empty(problems);
        var app = builder.Build();
        app.MapFabricAppliance();
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        return new ApplianceHost(app, dataDir, Path.GetFullPath(config["Fabric:BootDir"]!), client, owns);
    }

    /// <summary>A client that sends the admin token.</summary>
    public HttpClient AdminClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    public async Task<NodeDto> AddNodeAsync(object request)
    {
        using var admin = AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/nodes", request, FabricJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<NodeDto>(FabricJson.Options))!;
    }

    public async Task AddNetworkAsync(object request)
    {
        using var admin = AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/networks", request, FabricJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var dir in _ownsDataDir ? new[] { DataDir, BootDir } : [BootDir])
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>A stand-in renderer: writes what the context holds, and fails for <c>broken.ipxe</c> on line 3.</summary>
internal sealed class TestRenderer : IBootRenderer
{
    public IReadOnlyCollection<string> TemplateNames { get; } =
        ["discovery.ipxe", "hardware.ipxe", "storage.ipxe", "instance.ipxe", "router.ipxe", "broken.ipxe"];

    public RenderResult Render(string templateName, BootContext context)
    {
        if (templateName == "broken.ipxe")
        {
            return RenderResult.Failed(templateName, 3, "unknown helper 'nope'");
        }

        var targets = string.Join(",", context.RootTargets.Select(t => t.Name));
        return RenderResult.Ok(
            $"#!ipxe\n# {templateName}\nset node {context.Node.Name}\nset mac {context.Mac}\nset url {context.Endpoints.HttpBase}\n" +
            $"set token {context.BootToken ?? "none"}\nset targets {targets}\nboot\n");
    }
}
