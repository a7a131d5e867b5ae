using System.Text.Json;
using Fabric.Appliance.Tests.Api;
using Fabric.Cli;

namespace Fabric.Appliance.Tests.Cli;

/// <summary><c>fabric token create|list|revoke</c> against a real appliance.</summary>
public sealed class TokenCommandsTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;

    public async Task InitializeAsync() => _host = await ApplianceHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(int Code, string Out, string Err)> RunAsync(string token, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = token };
        var environment = new CliEnvironment(output, error, name => variables.GetValueOrDefault(name), Path.GetTempPath());
        int code = await CliApp.RunAsync(args, environment);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task TokenCreateListRevoke_RoundTrip()
    {
        var admin = _host.AdminToken;

        var create = await RunAsync(admin, "token", "create", "ci-deploy");
        Assert.Equal(0, create.Code);
        var secret = create.Out.Trim();
        Assert.True(secret.Length >= 40);
        Assert.Contains("created token ci-deploy", create.Err, StringComparison.Ordinal);

        var json = await RunAsync(admin, "token", "create", "backup", "-o", "json");
        var created = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal("backup", created.GetProperty("name").GetString());
        Assert.True(created.GetProperty("token").GetString()!.Length >= 40);

        var write = await RunAsync(secret, "network", "add", "boot", "--cidr", "10.0.0.0/24");
        Assert.Equal(0, write.Code);

        var list = await RunAsync(admin, "token", "list");
        var lines = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^NAME +CREATED +LAST USED$", lines[0]);
        Assert.Matches(@"^backup +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +never$", lines[1]);
        Assert.Matches(@"^ci-deploy +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", lines[2]);
        Assert.DoesNotContain(secret, list.Out, StringComparison.Ordinal);

        var listJson = JsonDocument.Parse((await RunAsync(admin, "token", "list", "-o", "json")).Out).RootElement;
        Assert.Equal(["backup", "ci-deploy"], listJson.EnumerateArray().Select(t => t.GetProperty("name").GetString()));

        var revoke = await RunAsync(admin, "token", "revoke", "ci-deploy");
        Assert.Equal((0, "revoked token ci-deploy\n"), (revoke.Code, revoke.Out));

        var refused = await RunAsync(secret, "network", "rm", "boot");
        Assert.Equal(1, refused.Code);
        Assert.Contains("(401)", refused.Err, StringComparison.Ordinal);
        Assert.NotNull(_host.Registry.FindNetwork("boot"));
    }

    [Fact]
    public async Task TokenCreate_WithNamedTokenOrBadName_OneLineErrorAndNonZeroExit()
    {
        var admin = _host.AdminToken;
        var secret = (await RunAsync(admin, "token", "create", "ci")).Out.Trim();

        var byNamed = await RunAsync(secret, "token", "create", "more");
        var badName = await RunAsync(admin, "token", "create", "has space");
        var unknown = await RunAsync(admin, "token", "revoke", "nobody");

        Assert.Equal(1, byNamed.Code);
        Assert.Single(byNamed.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("(401)", byNamed.Err, StringComparison.Ordinal);
        Assert.Equal(1, badName.Code);
        Assert.StartsWith("error: name: 'has space' is not a token name", badName.Err, StringComparison.Ordinal);
        Assert.Equal(1, unknown.Code);
        Assert.Contains("(404)", unknown.Err, StringComparison.Ordinal);
    }
}
