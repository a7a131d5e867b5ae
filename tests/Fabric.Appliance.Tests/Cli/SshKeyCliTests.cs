using Fabric.Appliance.Tests.Api;
using Fabric.Cli;

namespace Fabric.Appliance.Tests.Cli;

/// <summary><c>fabric ssh-key</c> against a real appliance on Kestrel (127.0.0.1, port 0).</summary>
public sealed class SshKeyCliTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;

    public async Task InitializeAsync() => _host = await ApplianceHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<(int Code, string Out, string Err)> RunAsync(string server, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = server };
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, Path.GetTempPath());
        int code = await CliApp.RunAsync(args, environment);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task SshKey_NoToken_PrintsTheAppliancesPublicKey()
    {
        var expected = await File.ReadAllTextAsync(Path.Combine(_host.DataDir, "ssh", "id_ecdsa.pub"));

        var run = await RunAsync(_host.BaseAddress.ToString(), "ssh-key");

        Assert.Equal((0, expected, ""), run);
        Assert.StartsWith("ecdsa-sha2-nistp256 AAAA", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SshKey_ApplianceDown_OneLineErrorExit3()
    {
        var run = await RunAsync("http://127.0.0.1:1", "ssh-key");

        Assert.Equal(3, run.Code);
        Assert.Equal("", run.Out);
        Assert.StartsWith("error: cannot connect to the appliance at http://127.0.0.1:1/", run.Err, StringComparison.Ordinal);
        Assert.Single(run.Err.TrimEnd('\n').Split('\n'));
    }
}
