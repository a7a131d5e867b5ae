using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fabric.Appliance.Tests.Hosting;

/// <summary>Starts the real appliance process with a start-up problem: each problem is one line on stderr naming the key
/// or the file, the exit status is 2, and no stack trace is printed.</summary>
public sealed class StartupProblemsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _root = Directory.CreateTempSubdirectory("fabric-startup-").FullName;

    private string DataDir => Path.Combine(_root, "data");

    private string BootDir => Path.Combine(_root, "boot");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed record Run(int ExitCode, IReadOnlyList<string> Errors, string Output);

    private Task<Run> RunAsync(params string[] args) => RunInAsync(null, args);

    /// <summary>Runs the appliance, inside network namespace <paramref name="netns"/> when given.</summary>
    private async Task<Run> RunInAsync(string? netns, params string[] args)
    {
        var start = new ProcessStartInfo(netns is null ? "dotnet" : "ip")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = _root,
        };
        if (netns is not null)
        {
            foreach (var arg in new[] { "netns", "exec", netns, "dotnet" })
            {
                start.ArgumentList.Add(arg);
            }
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fabric-appliance.dll"));
        start.ArgumentList.Add("--Urls=http://127.0.0.1:0");
        if (!args.Any(a => a.StartsWith("--Fabric:DataDir=", StringComparison.Ordinal)))
        {
            start.ArgumentList.Add($"--Fabric:DataDir={DataDir}");
        }

        if (!args.Any(a => a.StartsWith("--Fabric:BootDir=", StringComparison.Ordinal)))
        {
            start.ArgumentList.Add($"--Fabric:BootDir={BootDir}");
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"the appliance started instead of refusing to; stderr: {await stderr}");
        }

        var errors = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return new Run(process.ExitCode, errors, await stdout);
    }

    private static void AssertRefused(Run run, params string[] lines)
    {
        Assert.Equal(2, run.ExitCode);
        foreach (var line in lines)
        {
            Assert.Contains(run.Errors, e => e.StartsWith("fabric-appliance: " + line, StringComparison.Ordinal));
        }

        Assert.All(run.Errors, e => Assert.StartsWith("fabric-appliance: ", e, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", run.Output + string.Join('\n', run.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_BadTrustedRelay_OneLineNamingTheKey()
    {
        var run = await RunAsync("--Fabric:Dhcp:TrustedRelays:0=10.0.0.300");

        AssertRefused(run, "Fabric:Dhcp:TrustedRelays: '10.0.0.300' is not an IPv4 address");
        Assert.Single(run.Errors);
    }

    [Fact]
    public async Task Main_BadStorageCheckInterval_OneLineNamingTheKey()
    {
        var run = await RunAsync("--Fabric:Storage:CheckInterval=00:00:00");

        AssertRefused(run, "Fabric:Storage:CheckInterval: '00:00:00' is not a time span from 00:00:01 to 01:00:00");
        Assert.Single(run.Errors);
    }

    [Fact]
    public async Task Main_BadRouterCheckInterval_OneLineNamingTheKey()
    {
        var run = await RunAsync("--Fabric:Router:CheckInterval=02:00:00");

        AssertRefused(run, "Fabric:Router:CheckInterval: '02:00:00' is not a time span from 00:00:01 to 01:00:00");
        Assert.Single(run.Errors);
    }

    [Fact]
    public async Task Main_ManyBadSettings_EveryProblemOnItsOwnLine()
    {
        var run = await RunAsync(
            "--Urls=ftp://x", "--Fabric:PublicUrl=nope", "--Fabric:Tftp:Endpoint=bad", "--Fabric:DataDir=/proc/fabric-cannot-be-here",
            "--Fabric:Dhcp:Port=x", "--Fabric:BootTimeout=soon");

        AssertRefused(
            run,
            "Urls: 'ftp://x' is not a listen URL",
            "Fabric:PublicUrl: 'nope'",
            "Fabric:Tftp:Endpoint: 'bad'",
            "Fabric:DataDir: cannot create or write to '/proc/fabric-cannot-be-here'",
            "Fabric:Dhcp:Port: 'x' is not a whole number",
            "Fabric:BootTimeout: 'soon' is not a time span");
        Assert.Equal(6, run.Errors.Count);
    }

    [Fact]
    public async Task Main_MissingTemplatesFolder_ExitsWithStatus2AndTheProblem()
    {
        var run = await RunAsync("--Fabric:TemplatesDir=/nonexistent/fabric-templates");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(run.Errors, e => e.Contains("/nonexistent/fabric-templates", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", run.Output + string.Join('\n', run.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_MissingDhcpInterface_NamesTheInterface()
    {
        var run = await RunAsync("--Fabric:Dhcp:Interfaces:0=fabric-nope0");

        AssertRefused(run, "Fabric:Dhcp:Interfaces: 'fabric-nope0' does not exist here (have: ");
    }

    [Fact]
    public async Task Main_DhcpInterfaceWithoutIpv4_NamesTheInterface()
    {
        var netns = $"fabric-nov4-{Guid.NewGuid().ToString("N")[..8]}";
        await ProcessAsync("ip", "netns", "add", netns);
        try
        {
            await ProcessAsync("ip", "-n", netns, "link", "add", "fab0", "type", "veth", "peer", "name", "fab1");

            var run = await RunInAsync(netns, "--Fabric:Dhcp:Interfaces:0=fab0");

            AssertRefused(run, "Fabric:Dhcp:Interfaces: 'fab0' has no IPv4 address to serve DHCP from");
        }
        finally
        {
            await ProcessAsync("ip", "netns", "del", netns);
        }
    }

    private static async Task ProcessAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }

    [Fact]
    public async Task Main_HttpPortInUse_NamesUrls()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var run = await RunAsync($"--Urls={url}");

        AssertRefused(run, $"Urls: '{url}' cannot be listened on: the port is already in use");
    }

    [Fact]
    public async Task Main_TftpPortInUse_NamesTheEndpoint()
    {
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = $"127.0.0.1:{((IPEndPoint)taken.Client.LocalEndPoint!).Port}";

        var run = await RunAsync($"--Fabric:Tftp:Endpoint={endpoint}");

        AssertRefused(run, $"Fabric:Tftp:Endpoint: '{endpoint}' cannot be listened on: the port is already in use");
    }

    [Fact]
    public async Task Main_DhcpPortInUse_NamesThePortAndInterface()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Any, 0));
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var run = await RunAsync("--Fabric:Dhcp:Interfaces:0=lo", $"--Fabric:Dhcp:Port={port}");

        AssertRefused(run, $"Fabric:Dhcp:Port: UDP port {port} on 'lo' cannot be listened on: the port is already in use");
    }

    [Fact]
    public async Task Main_DataDirIsAFile_NamesDataDir()
    {
        var file = Path.Combine(_root, "not-a-folder");
        await File.WriteAllTextAsync(file, "x");

        var run = await RunAsync($"--Fabric:DataDir={file}");

        AssertRefused(run, $"Fabric:DataDir: '{file}' is a file, not a folder");
    }

    [Fact]
    public async Task Main_DataDirUnwritable_NamesDataDir()
    {
        var run = await RunAsync("--Fabric:DataDir=/proc/fabric-data");

        AssertRefused(run, "Fabric:DataDir: cannot create or write to '/proc/fabric-data'");
    }

    [Theory]
    [InlineData("fabric.db")]
    [InlineData("leases.db")]
    public async Task Main_DatabaseIsATextFile_NamesTheFileAndKeepsIt(string name)
    {
        Directory.CreateDirectory(DataDir);
        var path = Path.Combine(DataDir, name);
        await File.WriteAllTextAsync(path, "these are my notes, not a database\n");

        var run = await RunAsync();

        AssertRefused(run, $"{path}: not an SQLite database");
        Assert.Equal("these are my notes, not a database\n", await File.ReadAllTextAsync(path));
    }

    [Theory]
    [InlineData("fabric.db")]
    [InlineData("leases.db")]
    public async Task Main_DatabaseCorrupt_NamesTheFile(string name)
    {
        Directory.CreateDirectory(DataDir);
        var path = Path.Combine(DataDir, name);
        var bytes = new byte[8192];
        new Random(9).NextBytes(bytes);
        "SQLite format 3\0"u8.CopyTo(bytes);
        await File.WriteAllBytesAsync(path, bytes);

        var run = await RunAsync();

        AssertRefused(run, $"{path}: ");
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Theory]
    [InlineData("data", "data", "is the data folder")]
    [InlineData("data", "data/boot", "lies inside Fabric:DataDir")]
    [InlineData("srv/data", "srv", "contains Fabric:DataDir")]
    public async Task Main_BootDirExposesDataDir_Refused(string data, string boot, string reason)
    {
        var bootDir = Path.Combine(_root, boot);

        var run = await RunAsync($"--Fabric:DataDir={Path.Combine(_root, data)}", $"--Fabric:BootDir={bootDir}");

        AssertRefused(run, $"Fabric:BootDir: '{bootDir}' {reason}");
    }

    [Fact]
    public async Task Main_BootDirDefault_IsNextToDataNotInside()
    {
        // The folders are made by the check; a bad PublicUrl then stops start-up on purpose.
        var run = await RunAsync("--Fabric:BootDir=", "--Fabric:DataDir=data", "--Fabric:PublicUrl=nope");

        AssertRefused(run, "Fabric:PublicUrl: 'nope'");
        Assert.True(Directory.Exists(Path.Combine(_root, "boot")));
        Assert.True(Directory.Exists(Path.Combine(_root, "data")));
        Assert.False(Directory.Exists(Path.Combine(_root, "data", "boot")));
    }
}
