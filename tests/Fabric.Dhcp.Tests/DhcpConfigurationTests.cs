using Fabric.Core;
using Fabric.Dhcp.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fabric.Dhcp.Tests;

public class DhcpConfigurationTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Read_NothingConfigured_DhcpOff()
    {
        var o = DhcpConfiguration.Read(Config());
        Assert.Empty(o.Interfaces);
    }

    [Fact]
    public void Read_FullSection_AllValues()
    {
        var o = DhcpConfiguration.Read(Config(
            ("Fabric:DataDir", "/var/lib/fabric"),
            ("Urls", "http://10.0.0.1:8080;http://127.0.0.1:8080"),
            ("Fabric:Dhcp:Interfaces", "eth1, eth2"),
            ("Fabric:Dhcp:TrustedRelays:0", "10.1.0.1"),
            ("Fabric:Dhcp:TftpServer", "10.0.0.5"),
            ("Fabric:Dhcp:BootFiles:Uefi64", "snponly.efi"),
            ("Fabric:Dhcp:Proxy", "true")));
        Assert.Equal(["eth1", "eth2"], o.Interfaces);
        Assert.Equal("10.1.0.1", o.TrustedRelays.Single().ToString());
        Assert.Equal("10.0.0.5", o.TftpServer!.ToString());
        Assert.Equal("snponly.efi", o.BootFiles.Uefi64);
        Assert.Equal("undionly.kpxe", o.BootFiles.Bios);
        Assert.Equal("http://10.0.0.1:8080", o.PublicUrl);
        Assert.True(o.Proxy);
    }

    [Fact]
    public void Read_SeveralBadValues_AllReportedAtOnce()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => DhcpConfiguration.Read(Config(
            ("Fabric:Dhcp:Interfaces:0", "eth1"),
            ("Fabric:Dhcp:TrustedRelays:0", "not-an-ip"),
            ("Fabric:Dhcp:Port", "x"),
            ("Fabric:Dhcp:BootFiles:Bios", "a b"))));
        Assert.Contains("TrustedRelays", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Port", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PublicUrl", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DataDir", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'a b'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CommitOnReceiveThread_DefaultOnFalseReadBadValueReported()
    {
        Assert.True(DhcpConfiguration.Read(Config()).CommitOnReceiveThread);
        Assert.False(DhcpConfiguration.Read(Config(("Fabric:Dhcp:CommitOnReceiveThread", "false"))).CommitOnReceiveThread);
        var ex = Assert.Throws<InvalidOperationException>(() => DhcpConfiguration.Read(Config(("Fabric:Dhcp:CommitOnReceiveThread", "sometimes"))));
        Assert.Contains("Fabric:Dhcp:CommitOnReceiveThread 'sometimes'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_KeysAbsent_HostDefaultsUsed()
    {
        var o = DhcpConfiguration.Read(Config(("Fabric:Dhcp:Interfaces", "eth1")), "/srv/fabric", "http://10.0.0.9:8080/");
        Assert.Equal("/srv/fabric", o.DataDir);
        Assert.Equal("http://10.0.0.9:8080/", o.PublicUrl);
    }

    [Fact]
    public void ResolveInterface_Unknown_ClearError()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => DhcpServer.ResolveInterface("nosuchif0", 67));
        Assert.Contains("'nosuchif0'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_UnknownInterface_HostFailsWithClearError()
    {
        var dir = Directory.CreateTempSubdirectory("fabric-dhcp-cfg-").FullName;
        try
        {
            var services = new ServiceCollection().AddLogging();
            services.AddSingleton<IFabricDirectory>(new InMemoryFabricDirectory());
            services.AddFabricDhcpServer(new DhcpServerOptions { Interfaces = ["nosuchif0"], DataDir = dir, PublicUrl = "http://10.0.0.1:8080" });
            await using var sp = services.BuildServiceProvider();
            var hosted = sp.GetServices<IHostedService>().Single();
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => hosted.StartAsync(CancellationToken.None));
            Assert.Contains("nosuchif0", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task AddFabricDhcpServer_NoRegistry_ClearError()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddFabricDhcpServer(new DhcpServerOptions { Interfaces = ["eth0"], DataDir = "/tmp/x", PublicUrl = "http://10.0.0.1:8080" });
        await using var sp = services.BuildServiceProvider();
        var ex = Assert.Throws<InvalidOperationException>(() => sp.GetServices<IHostedService>().ToList());
        Assert.Contains("IFabricDirectory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddFabricDhcpServer_Off_LeaseViewStillRegistered()
    {
        var dir = Directory.CreateTempSubdirectory("fabric-dhcp-cfg-").FullName;
        try
        {
            var services = new ServiceCollection().AddLogging();
            services.AddFabricDhcpServer(new DhcpServerOptions { DataDir = dir });
            await using var sp = services.BuildServiceProvider();
            Assert.Empty(sp.GetServices<IHostedService>());
            Assert.Empty(await sp.GetRequiredService<ILeaseView>().ListLeasesAsync());
            Assert.True(File.Exists(Path.Combine(dir, "leases.db")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
