using System.Diagnostics;
using Xunit.Abstractions;

namespace Fabric.Integration.Tftp;

/// <summary>
/// The server (in its own process) in network namespace S, the clients in namespace C, joined by a veth pair
/// whose both ends drop 5% of incoming UDP (nftables) and, where the kernel has sch_netem, delay packets 2 ms.
/// Both namespaces are made and removed by the test; nothing touches the host's interfaces.
/// </summary>
public sealed class TftpNetemFixture : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private Process? _server;

    public TftpFiles Files { get; } = new();

    public string ServerNs => "tftp-s-" + _suffix;

    public string ClientNs => "tftp-c-" + _suffix;

    public string ServerAddress { get; private set; } = "";

    public string Impairment { get; private set; } = "";

    public async Task InitializeAsync()
    {
        int net = Random.Shared.Next(1, 250);
        ServerAddress = $"10.213.{net}.1";
        string vs = "tfs" + _suffix, vc = "tfc" + _suffix;
        await Proc.CheckAsync("ip", "netns", "add", ServerNs);
        await Proc.CheckAsync("ip", "netns", "add", ClientNs);
        await Proc.CheckAsync("ip", "link", "add", vs, "netns", ServerNs, "type", "veth", "peer", "name", vc, "netns", ClientNs);
        await Proc.CheckAsync("ip", "-n", ServerNs, "addr", "add", ServerAddress + "/24", "dev", vs);
        await Proc.CheckAsync("ip", "-n", ClientNs, "addr", "add", $"10.213.{net}.2/24", "dev", vc);
        bool delayed = true;
        foreach (var (ns, dev) in new[] { (ServerNs, vs), (ClientNs, vc) })
        {
            await Proc.CheckAsync("ip", "-n", ns, "link", "set", "lo", "up");
            await Proc.CheckAsync("ip", "-n", ns, "link", "set", dev, "up");
            var netem = await Proc.RunAsync("ip", ["netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "netem", "delay", "2ms"], TimeSpan.FromSeconds(10));
            delayed &= netem.ExitCode == 0;

            // Loss: 5% of incoming UDP in each namespace, except the client's ACK of the option acknowledgement (block 0).
            // atftp's client aborts on a second OACK ("tftp: unexpected OACK"), so a lost ACK 0 followed by the
            // retransmitted OACK that RFC 2347 asks of the server ends an atftp transfer with any server; the server side
            // of that exchange is covered by ReadTransferTests.OnTimer_OackUnacknowledged_ResendsOack.
            // @th,64,32 is the first four bytes of the UDP payload: opcode 4 (ACK), block 0.
            await Proc.CheckAsync("ip", "netns", "exec", ns, "nft", "add", "table", "inet", "lossy");
            await Proc.CheckAsync("ip", "netns", "exec", ns, "nft", "add", "chain", "inet", "lossy", "in", "{ type filter hook input priority 0; }");
            await Proc.CheckAsync("ip", "netns", "exec", ns, "nft", "add", "rule", "inet", "lossy", "in", "meta", "l4proto", "udp", "@th,64,32", "0x00040000", "accept");
            await Proc.CheckAsync("ip", "netns", "exec", ns, "nft", "add", "rule", "inet", "lossy", "in", "meta", "l4proto", "udp", "numgen", "random", "mod", "100", "<", "5", "drop");
        }

        Impairment = delayed
            ? "netem: 2 ms delay each way; nftables: 5% loss each way (ACK 0 spared)"
            : "nftables: 5% loss each way (ACK 0 spared; this kernel has no netem, so no added delay)";

        string host = Path.Combine(AppContext.BaseDirectory, "Fabric.Tftp.TestHost.dll");
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "netns", "exec", ServerNs, "dotnet", host, "--root", Files.Root, "--endpoint", ServerAddress + ":69", "--timeout-ms", "100", "--retries", "30" })
        {
            info.ArgumentList.Add(arg);
        }

        _server = Process.Start(info)!;
        var line = await _server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.StartsWith("LISTENING", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("test host did not start: " + await _server.StandardError.ReadToEndAsync());
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            try
            {
                _server.StandardInput.Close();
                if (!_server.WaitForExit(5000))
                {
                    _server.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }

            _server.Dispose();
        }

        await Proc.RunAsync("ip", ["netns", "del", ServerNs], TimeSpan.FromSeconds(10));
        await Proc.RunAsync("ip", ["netns", "del", ClientNs], TimeSpan.FromSeconds(10));
        Files.Dispose();
    }
}

public sealed class TftpNetemTests(TftpNetemFixture fixture, ITestOutputHelper output) : IClassFixture<TftpNetemFixture>
{
    [Theory]
    [InlineData("tftp-hpa", "k256.bin")]
    // atftp in lock-step re-acknowledges a duplicate block only once, then ignores duplicates until its own 5 s
    // timeout; it recovers only because the server's retransmission backoff leaves a longer silence.
    [InlineData("atftp-1468", "k256.bin")]
    [InlineData("atftp-1468-w16", "k256.bin")]
    [InlineData("busybox-1468", "k256.bin")]
    [InlineData("curl-1468", "k64.bin")]
    public async Task Get_LossyLink_Sha256Matches(string client, string file)
    {
        string local = Path.Combine(Path.GetTempPath(), $"fabric-tftp-netem-{Guid.NewGuid():N}");
        try
        {
            var (exe, args) = TftpClients.Command(client, fixture.ServerAddress, 69, file, local);
            var result = await Proc.RunAsync("ip", ["netns", "exec", fixture.ClientNs, exe, .. args], TimeSpan.FromSeconds(90));
            output.WriteLine(fixture.Impairment);
            Assert.True(result.ExitCode == 0, $"{client} exited {result.ExitCode}: {result.Stderr}{result.Stdout}");
            Assert.Equal(fixture.Files.Hash(file), TftpFiles.HashOf(local));
        }
        finally
        {
            File.Delete(local);
        }
    }
}
