using System.Net;
using System.Text;
using Fabric.Appliance.Hosting;
using Fabric.Tftp.Files;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

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
    public async Task AddFabricTftp_InvalidOptions_StartFailsWithEveryProblemNamingItsKey()
    {
        using var host = Build(new()
        {
            ["Fabric:Tftp:Endpoint"] = "not-an-endpoint",
            ["Fabric:BootDir"] = "/nonexistent/fabric-boot",
            ["Fabric:Tftp:MaxTransfers"] = "0",
        });
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Fabric:Tftp:Endpoint: 'not-an-endpoint' is not an IPv4 address:port like 127.0.0.1:69", ex.Failures);
        Assert.Contains("Fabric:BootDir: '/nonexistent/fabric-boot' does not exist (TFTP serves it)", ex.Failures);
        Assert.Contains("Fabric:Tftp:MaxTransfers: '0' is less than 1", ex.Failures);
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
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Fabric:Tftp:MaxTransfersPerClient: '0' is less than 1", ex.Failures);
        Assert.Contains("Fabric:Tftp:MaxIdleSeconds: '0' is not between 1 and 3600", ex.Failures);
    }

    // The default BootDir is no longer DataDir/boot (a BootDir inside DataDir would serve the registry and secrets):
    // it is "boot" in the working directory, next to the default "data".
    [Fact]
    public async Task AddFabricTftp_NoBootDir_ServesBootInTheWorkingDirectory()
    {
        string bootDir = Path.GetFullPath("boot");
        bool made = !Directory.Exists(bootDir);
        string file = Path.Combine(bootDir, "b1468x3.bin");
        try
        {
            using var host = Build(new() { ["Fabric:Tftp:Endpoint"] = "127.0.0.1:0", ["Fabric:DataDir"] = Path.GetFullPath("data") });
            Directory.CreateDirectory(bootDir);
            File.Copy(Path.Combine(fixture.Files.Root, "b1468x3.bin"), file, overwrite: true);
            await host.StartAsync();
            var service = host.Services.GetServices<IHostedService>().OfType<TftpHostedService>().Single();
            await fixture.AssertGoodTransferAsync(service.Server!.LocalEndPoint!.Port);
            await host.StopAsync();
        }
        finally
        {
            File.Delete(file);
            if (made)
            {
                Directory.Delete(bootDir, recursive: true);
            }
        }
    }
}
