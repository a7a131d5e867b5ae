using System.Net;
using System.Text.RegularExpressions;
using Fabric.Appliance.Pages;
using Fabric.Registry;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Web;

/// <summary>The node page with an operator's template that fails while rendering: the page names file, line and
/// column. Plain HTTP with the sign-in cookie (the page's markup is what is checked, no browser needed).</summary>
public sealed partial class NodePageTemplateErrorTests : IAsyncLifetime
{
    private const string AdminToken = "node-page-admin-token-0123456789";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("fabric-web-").FullName;
    private readonly string _templates = Directory.CreateTempSubdirectory("fabric-operator-templates-").FullName;
    private WebApplicationFactory<IndexModel> _factory = null!;

    private string HardwarePath => Path.Combine(_templates, "hardware.ipxe");

    public async Task InitializeAsync()
    {
        File.WriteAllText(HardwarePath, "#!ipxe\necho {{ name }}\n\n  {{ nope }}\n");
        File.WriteAllText(Path.Combine(_templates, "error.ipxe"), "#!ipxe\n");
        _factory = new WebApplicationFactory<IndexModel>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Fabric:DataDir", _dataDir);
            builder.UseSetting("Fabric:AdminToken", AdminToken);
            builder.UseSetting("Fabric:TemplatesDir", _templates);
            builder.UseSetting("Fabric:PublicUrl", "http://10.99.0.1:8080");
        });
        var registry = _factory.Services.GetRequiredService<IRegistry>();
        var added = await registry.AddNodeAsync(new NodeInput { Name = "h1", Macs = ["52:54:00:00:00:01"], MacField = "mac", Role = "hardware" }, Fabric.Core.Events.Actor.Admin);
        Assert.True(added.Succeeded);
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_templates, recursive: true);
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task NodePage_TemplateFailsWhileRendering_ShowsFileLineAndColumn()
    {
        using var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var login = await client.GetStringAsync("/login");
        var antiforgery = AntiforgeryField().Match(login).Groups[1].Value;
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["Token"] = AdminToken, ["__RequestVerificationToken"] = antiforgery });
        var signedIn = await client.PostAsync("/login", form);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);

        var page = await client.GetStringAsync("/nodes/h1?template=hardware.ipxe");

        var error = RenderError().Match(page);
        Assert.True(error.Success, page);
        Assert.StartsWith($"{HardwarePath}:4:6: ", WebUtility.HtmlDecode(error.Groups[1].Value), StringComparison.Ordinal);
        Assert.Contains("nope", error.Groups[1].Value, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("id=\"render-error\">([^<]*)<")]
    private static partial Regex RenderError();
}
