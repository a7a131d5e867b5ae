using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Fabric.Appliance.Tests.Api;

public sealed class TokenTests
{
    private static readonly object Node = new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" };

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Start_NoAdminTokenSetting_CreatesOwnerOnlyTokenFile()
    {
        await using var host = await ApplianceHost.StartAsync();

        var path = Path.Combine(host.DataDir, "admin.token");
        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(host.DataDir, "boot.secret")));
        Assert.True(host.AdminToken.Length >= 32);
    }

    [Fact]
    public async Task Write_WithoutOrWithWrongToken_401AndNothingWritten()
    {
        await using var host = await ApplianceHost.StartAsync();
        using var wrong = new HttpClient { BaseAddress = host.BaseAddress };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");

        var anonymous = await host.Client.PostAsJsonAsync("/api/v1/nodes", Node);
        var bad = await wrong.PostAsJsonAsync("/api/v1/nodes", Node);
        var delete = await host.Client.DeleteAsync("/api/v1/networks/boot");

        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(delete, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Empty(host.Registry.ListNodes());
    }

    [Fact]
    public async Task Write_ConfiguredAdminToken_UsedAndNoFileCreated()
    {
        const string token = "configured-admin-token-0123456789";
        await using var host = await ApplianceHost.StartAsync(new Dictionary<string, string?> { ["Fabric:AdminToken"] = token });
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var response = await client.PostAsJsonAsync("/api/v1/nodes", Node);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False(File.Exists(Path.Combine(host.DataDir, "admin.token")));
    }

    [Fact]
    public async Task Start_Again_KeepsTokenAndData()
    {
        var dataDir = Directory.CreateTempSubdirectory("fabric-appliance-").FullName;
        try
        {
            string first;
            await using (var host = await ApplianceHost.StartAsync(dataDir: dataDir))
            {
                first = host.AdminToken;
                await host.AddNodeAsync(Node);
            }

            await using var again = await ApplianceHost.StartAsync(dataDir: dataDir);

            Assert.Equal(first, again.AdminToken);
            Assert.NotNull(again.Registry.FindNode("h1"));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Reads_NeedNoToken()
    {
        await using var host = await ApplianceHost.StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/api/v1/nodes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/api/v1/networks")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/boot/52:54:00:00:00:01.ipxe")).StatusCode);
    }
}
