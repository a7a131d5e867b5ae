using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fabric.Api.Contracts;

namespace Fabric.Appliance.Tests.Api;

/// <summary><c>/api/v1/tokens</c>: named API tokens made, listed and revoked with the admin token.</summary>
public sealed class TokenEndpointsTests : IAsyncLifetime
{
    private static readonly object Node = new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" };
    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();
        _admin = _host.AdminClient();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private HttpClient Bearer(string token)
    {
        var client = new HttpClient { BaseAddress = _host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<CreatedTokenDto> CreateAsync(string name)
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/tokens", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/v1/tokens/{name}", response.Headers.Location?.ToString());
        return (await response.Content.ReadFromJsonAsync<CreatedTokenDto>(FabricJson.Options))!;
    }

    [Fact]
    public async Task Post_AdminToken_SecretReturnedOnceAndNeverListed()
    {
        var created = await CreateAsync("ci-deploy");

        Assert.Equal("ci-deploy", created.Name);
        Assert.True(created.Token.Length >= 40);
        var text = await _admin.GetStringAsync("/api/v1/tokens");
        Assert.DoesNotContain(created.Token, text, StringComparison.Ordinal);
        var listed = Assert.Single(JsonDocument.Parse(text).RootElement.EnumerateArray());
        Assert.Equal(["name", "createdAt"], listed.EnumerateObject().Select(p => p.Name));
        Assert.Equal("ci-deploy", listed.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Write_NamedToken_AcceptedAndEventActorNamesTheToken()
    {
        var created = await CreateAsync("ci-deploy");
        using var ci = Bearer(created.Token);

        var add = await ci.PostAsJsonAsync("/api/v1/nodes", Node);
        var patch = await _admin.PatchAsync("/api/v1/nodes/h1", JsonContent.Create(new { labels = new { rack = "r1" } }));

        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var events = await _host.Client.GetFromJsonAsync<List<NodeEventDto>>("/api/v1/nodes/h1/events", FabricJson.Options);
        Assert.Equal(["token:ci-deploy", "admin"], events!.Select(e => e.Actor));
        var listed = (await _admin.GetFromJsonAsync<List<TokenDto>>("/api/v1/tokens", FabricJson.Options))!;
        Assert.NotNull(Assert.Single(listed).LastUsedAt);
    }

    [Fact]
    public async Task Write_RevokedToken_401AndNothingWritten()
    {
        var created = await CreateAsync("ci-deploy");
        using var ci = Bearer(created.Token);

        var revoke = await _admin.DeleteAsync("/api/v1/tokens/ci-deploy");
        var add = await ci.PostAsJsonAsync("/api/v1/nodes", Node);

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await ProblemAssert.IsProblemAsync(add, HttpStatusCode.Unauthorized);
        Assert.Empty(_host.Registry.ListNodes());
        Assert.Equal("[]", await _admin.GetStringAsync("/api/v1/tokens"));
    }

    [Fact]
    public async Task Tokens_NamedTokenOrAnonymous_401()
    {
        var created = await CreateAsync("ci-deploy");
        using var ci = Bearer(created.Token);

        await ProblemAssert.IsProblemAsync(await ci.PostAsJsonAsync("/api/v1/tokens", new { name = "more" }), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await ci.GetAsync("/api/v1/tokens"), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await ci.DeleteAsync("/api/v1/tokens/ci-deploy"), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/tokens"), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await _host.Client.PostAsJsonAsync("/api/v1/tokens", new { name = "x" }), HttpStatusCode.Unauthorized);
        Assert.Equal(["ci-deploy"], (await _admin.GetFromJsonAsync<List<TokenDto>>("/api/v1/tokens", FabricJson.Options))!.Select(t => t.Name));
    }

    [Fact]
    public async Task Post_BadOrTakenName_ProblemNamingNameAndNothingAdded()
    {
        await CreateAsync("ci-deploy");

        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/api/v1/tokens", new { name = "has space" }), HttpStatusCode.BadRequest, "name", "is not a token name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/api/v1/tokens", new { }), HttpStatusCode.BadRequest, "name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/api/v1/tokens", new { name = "CI-DEPLOY" }), HttpStatusCode.Conflict, "name");
        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync("/api/v1/tokens/nobody"), HttpStatusCode.NotFound, "name");
        Assert.Single((await _admin.GetFromJsonAsync<List<TokenDto>>("/api/v1/tokens", FabricJson.Options))!);
    }

    [Fact]
    public async Task Token_AfterRestart_StillWorks()
    {
        var dataDir = Directory.CreateTempSubdirectory("fabric-appliance-").FullName;
        try
        {
            string secret;
            await using (var first = await ApplianceHost.StartAsync(dataDir: dataDir))
            {
                using var admin = first.AdminClient();
                var response = await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "backup" });
                secret = (await response.Content.ReadFromJsonAsync<CreatedTokenDto>(FabricJson.Options))!.Token;
            }

            await using var again = await ApplianceHost.StartAsync(dataDir: dataDir);
            using var client = new HttpClient { BaseAddress = again.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);

            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/nodes", Node)).StatusCode);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
