using System.Net;
using Fabric.Tftp.Tests.Commands;
using Fabric.Tftp.Tests.Files;

namespace Fabric.Tftp.Tests.Channel;

/// <summary>Requested file names reach the log escaped: a client cannot forge log lines or send escape sequences to
/// the terminal of whoever reads the log.</summary>
public sealed class TftpServerLogTests : IAsyncLifetime
{
    private readonly TempRoot _root = new();
    private readonly CapturingLogger<TftpServer> _log = new();
    private TftpServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new TftpServer(new TftpServerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Root = _root.Path }, _log);
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _root.Dispose();
    }

    private async Task WaitForLog(string fragment)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!_log.Messages.Any(m => m.Contains(fragment, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < until, "not logged: " + fragment + "\n" + string.Join("\n", _log.Messages));
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task ReadRequest_NameWithNewlineAndEscapeSequence_LoggedEscaped()
    {
        using var client = new RawClient();
        client.Send(Packets.Rrq("evil\n2026-12-01 fake line \u001b[31mred\u001b[0m"), _server.LocalEndPoint!);
        Assert.NotNull(client.Receive());

        await WaitForLog(@"evil\n2026-12-01 fake line \x1b[31mred\x1b[0m");
        Assert.DoesNotContain(_log.Messages, m => m.Contains('\n', StringComparison.Ordinal) || m.Contains('\u001b', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Transfer_NameWithBidiOverride_StartAndEndLoggedEscaped()
    {
        _root.Write("report\u202etxt.exe", [1, 2, 3]);
        using var client = new RawClient();

        Assert.Equal(new byte[] { 1, 2, 3 }, client.Get(_server.LocalEndPoint!, "report\u202etxt.exe"));

        await WaitForLog("done");
        var lines = _log.Messages.Where(m => m.Contains("report", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, m => Assert.Contains(@"report\u202etxt.exe", m, StringComparison.Ordinal));
        Assert.DoesNotContain(_log.Messages, m => m.Contains('\u202e', StringComparison.Ordinal));
    }
}
