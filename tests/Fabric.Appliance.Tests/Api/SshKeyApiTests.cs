using System.Net;
using System.Text.Json;

namespace Fabric.Appliance.Tests.Api;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SshKeyApiTests
{
    [Fact]
    public async Task GetSshKey_Anonymous_PublicKeyAsTextMadeAtStart()
    {
        await using var host = await ApplianceHost.StartAsync();
        var folder = Path.Combine(host.DataDir, "ssh");

        var response = await host.Client.GetAsync("/api/v1/ssh-key");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var key = await response.Content.ReadAsStringAsync();
        Assert.Matches("^ecdsa-sha2-nistp256 AAAA[A-Za-z0-9+/=]+ fabric-appliance\n$", key);
        Assert.Equal(key, await File.ReadAllTextAsync(Path.Combine(folder, "id_ecdsa.pub")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "id_ecdsa")));
    }

    [Fact]
    public async Task GetSshKey_AfterRestart_SameKey()
    {
        var dataDir = Directory.CreateTempSubdirectory("fabric-appliance-").FullName;
        try
        {
            string first;
            await using (var host = await ApplianceHost.StartAsync(dataDir: dataDir))
            {
                first = await host.Client.GetStringAsync("/api/v1/ssh-key");
            }

            await using (var again = await ApplianceHost.StartAsync(dataDir: dataDir))
            {
                Assert.Equal(first, await again.Client.GetStringAsync("/api/v1/ssh-key"));
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task OpenApi_ListsSshKey()
    {
        await using var host = await ApplianceHost.StartAsync();

        var json = JsonDocument.Parse(await host.Client.GetStringAsync("/openapi/v1.json")).RootElement;

        Assert.True(json.GetProperty("paths").GetProperty("/api/v1/ssh-key").TryGetProperty("get", out _));
    }
}
