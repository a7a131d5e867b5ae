using System.Net;
using System.Net.Sockets;
using Fabric.Appliance.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Hosting;

public sealed class BootFilesSettingsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fabric-bootfiles-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (IReadOnlyDictionary<Type, object> Values, IReadOnlyList<string> Problems) Check(Dictionary<string, string?> settings)
    {
        settings.TryAdd("Fabric:DataDir", Path.Combine(_root, "data"));
        settings.TryAdd("Fabric:BootDir", Path.Combine(_root, "boot"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddFabricApplianceSettings();
        return SettingsCheck.Run(services, configuration);
    }

    [Fact]
    public void Run_Defaults_Off()
    {
        var (values, problems) = Check([]);

        Assert.Empty(problems);
        Assert.False(((BootFilesSettings)values[typeof(BootFilesSettings)]).Enabled);
    }

    [Theory]
    [InlineData("0.0.0.0:8081", 8081)]
    [InlineData("10.64.0.1:0", 0)]
    [InlineData("[::1]:8081", 8081)]
    public void Run_Endpoint_Parsed(string endpoint, int port)
    {
        var (values, problems) = Check(new() { ["Fabric:BootFiles:Endpoint"] = endpoint });

        Assert.Empty(problems);
        Assert.Equal(port, ((BootFilesSettings)values[typeof(BootFilesSettings)]).ParsedEndpoint!.Port);
    }

    [Fact]
    public void Run_BadValues_EveryProblemOneLineEach()
    {
        var (_, problems) = Check(new()
        {
            ["Fabric:BootFiles:Endpoint"] = "8081",
            ["Fabric:BootFiles:IdleTimeoutSeconds"] = "0",
            ["Fabric:BootFiles:MinBytesPerSecond"] = "-1",
        });

        Assert.Equal(
            [
                "Fabric:BootFiles:Endpoint: '8081' is not an address:port like 0.0.0.0:8081 (empty turns the boot file server off)",
                "Fabric:BootFiles:IdleTimeoutSeconds: '0' is not between 1 and 3600",
                "Fabric:BootFiles:MinBytesPerSecond: '-1' is less than 0",
            ],
            problems);
    }

    [Fact]
    public void BootFilesPort_InUse_OneLineNamingTheKey()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var problems = new List<string>();

        StartupChecks.BootFilesPort(new BootFilesSettings { Endpoint = $"127.0.0.1:{port}" }, problems);

        Assert.Equal([$"Fabric:BootFiles:Endpoint: '127.0.0.1:{port}' cannot be listened on: the port is already in use"], problems);
    }
}
