using System.Net;
using System.Text;
using Fabric.Appliance.Hosting;
using Fabric.Tftp.Files;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fabric.Integration.Tftp;

[Collection("tftp")]
public sealed class TftpHostingTests(TftpServerFixture fixture)
{
    private sealed class HelloFiles : ITftpVirtualFiles
    {
        public ValueTask<TftpVirtualFile?> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(path == "hello.txt" ? TftpVirtualFile.FromContent(Encoding.ASCII.GetBytes("hello " + client.Address)) : null);
    }

    private static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        services?.Invoke(builder.Services);
        builder.Services.AddFabricTftp(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task AddFabricTftp_EndpointSet_ServesBootDirAndRegisteredVirtualFiles()
    {
        using var host = Build(
            new() { ["Fabric:Tftp:Endpoint"] = "127.0.0.1:0", ["Fabric:BootDir"] = fixture.Files.Root, ["Fabric:Tftp:MaxTransfers"] = "10" },
            s => s.AddSingleton<ITftpVirtualFiles, HelloFiles>());
        await host.StartAsync();
        try
        {
            var service = host.Services.GetServices<IHostedService>().OfType<TftpHostedService>().Single();
            int port = service.Server!.LocalEndPoint!.Port;
            await fixture.AssertGoodTransferAsync(port);

            string local = Path.Combine(Path.GetTempPath(), $"fabric-tftp-hello-{Guid.NewGuid():N}");
            var (exe, args) = TftpClients.Command("curl-1468", "127.0.0.1", port, "hello.txt", local);
            await Proc.CheckAsync(exe, args);
            Assert.Equal("hello 127.0.0.1", File.ReadAllText(local));
            File.Delete(local);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void AddFabricTftp_NoEndpoint_RegistersNothing()
    {
        using var host = Build(new() { ["Fabric:BootDir"] = fixture.Files.Root });
        Assert.Empty(host.Services.GetServices<IHostedService>().OfType<TftpHostedService>());
    }

    [Fact]
    public async Task AddFabricTftp_InvalidOptions_StartFailsWithEveryError()
    {
        using var host = Build(new()
        {
            ["Fabric:Tftp:Endpoint"] = "not-an-endpoint",
            ["Fabric:BootDir"] = "/nonexistent/fabric-boot",
            ["Fabric:Tftp:MaxTransfers"] = "0",
        });
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("Endpoint", ex.Message);
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("MaxTransfers", ex.Message);
    }

    [Fact]
    public async Task AddFabricTftp_PerClientAndIdleKeysOutOfRange_StartFailsNamingBoth()
    {
        using var host = Build(new()
        {
            ["Fabric:Tftp:Endpoint"] = "127.0.0.1:0",
            ["Fabric:BootDir"] = fixture.Files.Root,
            ["Fabric:Tftp:MaxTransfersPerClient"] = "0",
            ["Fabric:Tftp:MaxIdleSeconds"] = "0",
        });
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("MaxTransfersPerClient", ex.Message);
        Assert.Contains("MaxIdleSeconds", ex.Message);
    }

    [Fact]
    public async Task AddFabricTftp_NoBootDir_DefaultsToDataDirBoot()
    {
        string dataDir = Directory.CreateTempSubdirectory("fabric-tftp-data-").FullName;
        try
        {
            using var host = Build(new() { ["Fabric:Tftp:Endpoint"] = "127.0.0.1:0", ["Fabric:DataDir"] = dataDir });
            await host.StartAsync();
            Directory.CreateDirectory(Path.Combine(dataDir, "boot"));
            File.Copy(Path.Combine(fixture.Files.Root, "b1468x3.bin"), Path.Combine(dataDir, "boot", "b1468x3.bin"));
            var service = host.Services.GetServices<IHostedService>().OfType<TftpHostedService>().Single();
            await fixture.AssertGoodTransferAsync(service.Server!.LocalEndPoint!.Port);
            await host.StopAsync();
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
