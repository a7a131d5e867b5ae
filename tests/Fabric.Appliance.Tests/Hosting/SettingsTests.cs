using Fabric.Appliance.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Hosting;

public sealed class SettingsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fabric-settings-").FullName;

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
    public void Resolve_Defaults_BootFolderNextToDataFolder()
    {
        var options = new ApplianceOptions { BootDir = "" };
        ApplianceOptions.Resolve(options);

        Assert.Equal(Path.GetFullPath("data"), options.DataDir);
        Assert.Equal(Path.GetFullPath("boot"), options.BootDir);
        Assert.Equal(Path.GetDirectoryName(options.DataDir), Path.GetDirectoryName(options.BootDir));
    }

    [Fact]
    public void Run_Defaults_ValidWithDefaultValues()
    {
        var (values, problems) = Check([]);

        Assert.Empty(problems);
        var appliance = (ApplianceOptions)values[typeof(ApplianceOptions)];
        Assert.Equal(TimeSpan.FromMinutes(10), appliance.BootTimeout);
        Assert.Equal(Path.Combine(_root, "boot"), appliance.BootDir);
        Assert.False(((TftpSettings)values[typeof(TftpSettings)]).Enabled);
        Assert.Empty(((DhcpSettings)values[typeof(DhcpSettings)]).Interfaces);
        Assert.Equal(HttpOptions.DefaultMaxRequestBodyBytes, ((HttpOptions)values[typeof(HttpOptions)]).MaxRequestBodyBytes);
    }

    [Fact]
    public void Run_ManyBadSettings_ListsEveryProblemOneLineEach()
    {
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "x");
        var (_, problems) = Check(new()
        {
            ["Fabric:DataDir"] = file,
            ["Urls"] = "ftp://nowhere",
            ["Fabric:PublicUrl"] = "not a url",
            ["Fabric:Tftp:Endpoint"] = "10.0.0.1",
            ["Fabric:Tftp:MaxTransfers"] = "0",
            ["Fabric:BootTimeout"] = "soon",
            ["Fabric:AdminToken"] = "short",
            ["Fabric:MaxRequestBodyBytes"] = "12",
            ["Fabric:Dhcp:Interfaces:0"] = "eth0/bad",
            ["Fabric:Dhcp:TrustedRelays:0"] = "10.0.0.300",
            ["Fabric:Dhcp:TrustedRelays:1"] = "10.0.0.3",
            ["Fabric:Dhcp:Port"] = "sixty-seven",
            ["Fabric:Dhcp:ProxyPort"] = "70000",
        });

        Assert.Equal(
            [
                "Fabric:BootTimeout: 'soon' is not a time span like 00:10:00",
                "Fabric:Dhcp:Port: 'sixty-seven' is not a whole number",
                $"Fabric:DataDir: '{file}' is a file, not a folder",
                "Fabric:PublicUrl: 'not a url' is not a URL nodes can reach, like http://10.0.0.1:8080",
                "Fabric:AdminToken: an admin token is at least 16 characters without spaces",
                "Urls: 'ftp://nowhere' is not a listen URL like http://127.0.0.1:8080",
                "Fabric:MaxRequestBodyBytes: '12' is not a size of at least 1024 bytes",
                "Fabric:Dhcp:Interfaces: 'eth0/bad' is not an interface name",
                "Fabric:Dhcp:TrustedRelays: '10.0.0.300' is not an IPv4 address",
                "Fabric:Dhcp:ProxyPort: '70000' is not a port (1-65535)",
                "Fabric:Tftp:Endpoint: '10.0.0.1' is not an IPv4 address:port like 127.0.0.1:69",
                "Fabric:Tftp:MaxTransfers: '0' is less than 1",
            ],
            problems);
    }

    [Fact]
    public void Run_GoodTftpDhcpAndPublicUrl_Parsed()
    {
        var (values, problems) = Check(new()
        {
            ["Fabric:PublicUrl"] = "http://10.99.0.1:8080",
            ["Fabric:Tftp:Endpoint"] = "127.0.0.1:6969",
            ["Fabric:Dhcp:Interfaces"] = "lo",
            ["Fabric:Dhcp:TrustedRelays"] = "10.0.0.1, 10.0.1.1",
            ["Fabric:Dhcp:Port"] = "6767",
        });

        Assert.Empty(problems);
        var options = FabricOptions.From(
            (ApplianceOptions)values[typeof(ApplianceOptions)],
            (HttpOptions)values[typeof(HttpOptions)],
            (TftpSettings)values[typeof(TftpSettings)],
            (DhcpSettings)values[typeof(DhcpSettings)]);
        Assert.Equal(6969, options.TftpEndpoint!.Port);
        Assert.Equal("http://10.99.0.1:8080/", options.PublicUrl!.ToString());
        Assert.Equal(["lo"], options.DhcpInterfaces);
        var dhcp = ((DhcpSettings)values[typeof(DhcpSettings)]).ToServerOptions(options.DataDir, "http://10.99.0.1:8080/");
        Assert.Equal(["10.0.0.1", "10.0.1.1"], dhcp.TrustedRelays.Select(r => r.ToString()));
        Assert.Equal(6767, dhcp.Port);
    }

    [Theory]
    [InlineData("data", "data")]
    [InlineData("data", "data/boot")]
    [InlineData("srv/boot", "srv")]
    public void Run_BootDirIsInsideOrAroundDataDir_Refused(string data, string boot)
    {
        var (_, problems) = Check(new() { ["Fabric:DataDir"] = Path.Combine(_root, data), ["Fabric:BootDir"] = Path.Combine(_root, boot) });

        var problem = Assert.Single(problems);
        Assert.StartsWith($"Fabric:BootDir: '{Path.Combine(_root, boot)}' ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_BootDirLinkIntoDataDir_Refused()
    {
        Directory.CreateDirectory(Path.Combine(_root, "data", "inner"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "boot"), Path.Combine(_root, "data", "inner"));

        var (_, problems) = Check([]);

        Assert.Contains(problems, p => p.StartsWith("Fabric:BootDir: ", StringComparison.Ordinal) && p.Contains("inside Fabric:DataDir", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_BootDirNextToDataDirWithSimilarName_Accepted()
    {
        var (_, problems) = Check(new() { ["Fabric:DataDir"] = Path.Combine(_root, "data"), ["Fabric:BootDir"] = Path.Combine(_root, "data-boot") });

        Assert.Empty(problems);
    }
}
