using System.Diagnostics;
using Fabric.Appliance.Hosting;
using Microsoft.Extensions.Configuration;

namespace Fabric.Appliance.Tests.Api;

public sealed class OptionsTests
{
    private static (FabricOptions? Options, IReadOnlyList<string> Problems) Load(Dictionary<string, string?> settings) =>
        FabricOptions.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    [Fact]
    public void Load_Defaults_Valid()
    {
        var dir = Directory.CreateTempSubdirectory("fabric-options-").FullName;
        var (options, problems) = Load(new() { ["Fabric:DataDir"] = dir });

        Assert.Empty(problems);
        Assert.Equal(Path.Combine(dir, "boot"), options!.BootDir);
        Assert.Equal(TimeSpan.FromMinutes(10), options.BootTimeout);
        Assert.Null(options.TftpEndpoint);
        Assert.Empty(options.DhcpInterfaces);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Load_ManyBadSettings_ListsEveryProblem()
    {
        var file = Path.GetTempFileName();
        var (options, problems) = Load(new()
        {
            ["Fabric:DataDir"] = file,
            ["Urls"] = "ftp://nowhere",
            ["Fabric:PublicUrl"] = "not a url",
            ["Fabric:Tftp:Endpoint"] = "10.0.0.1",
            ["Fabric:BootTimeout"] = "soon",
            ["Fabric:AdminToken"] = "short",
            ["Fabric:Dhcp:Interfaces:0"] = "eth0/bad",
        });
        File.Delete(file);

        Assert.Null(options);
        Assert.Contains(problems, p => p.StartsWith("Fabric:DataDir:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Urls:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fabric:PublicUrl:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fabric:Tftp:Endpoint:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fabric:BootTimeout:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fabric:AdminToken:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Fabric:Dhcp:Interfaces:", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_GoodTftpAndPublicUrl_Parsed()
    {
        var dir = Directory.CreateTempSubdirectory("fabric-options-").FullName;
        var (options, problems) = Load(new()
        {
            ["Fabric:DataDir"] = dir,
            ["Fabric:PublicUrl"] = "http://10.99.0.1:8080",
            ["Fabric:Tftp:Endpoint"] = "127.0.0.1:6969",
            ["Fabric:Dhcp:Interfaces:0"] = "veth-a",
        });
        Directory.Delete(dir, true);

        Assert.Empty(problems);
        Assert.Equal(6969, options!.TftpEndpoint!.Port);
        Assert.Equal("http://10.99.0.1:8080/", options.PublicUrl!.ToString());
        Assert.Equal(["veth-a"], options.DhcpInterfaces);
    }

    [Fact]
    public async Task Process_BadSettings_ExitsNonZeroListingEveryProblem()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "fabric-appliance.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList = { dll, "--Urls=ftp://x", "--Fabric:PublicUrl=nope", "--Fabric:Tftp:Endpoint=bad", "--Fabric:DataDir=/proc/fabric-cannot-be-here" },
        };

        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("Urls:", stderr, StringComparison.Ordinal);
        Assert.Contains("Fabric:PublicUrl:", stderr, StringComparison.Ordinal);
        Assert.Contains("Fabric:Tftp:Endpoint:", stderr, StringComparison.Ordinal);
        Assert.Contains("Fabric:DataDir:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_MissingTemplatesFolder_ExitsWithStatus2AndTheProblem()
    {
        var dataDir = Directory.CreateTempSubdirectory("fabric-options-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "fabric-appliance.dll"), "--Urls=http://127.0.0.1:0",
                $"--Fabric:DataDir={dataDir}", "--Fabric:TemplatesDir=/nonexistent/fabric-templates",
            },
        };

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Directory.Delete(dataDir, true);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("/nonexistent/fabric-templates", await stderr, StringComparison.Ordinal);
    }
}
