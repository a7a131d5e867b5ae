using System.Net;
using Fabric.Tftp;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fabric.Integration.Tftp;

/// <summary>One server on loopback (ephemeral port) and the files, shared by the real-client tests.</summary>
public sealed class TftpServerFixture : IAsyncLifetime
{
    public TftpFiles Files { get; } = new();

    public TftpServer Server { get; private set; } = null!;

    public int Port => Server.LocalEndPoint!.Port;

    public async Task InitializeAsync()
    {
        Server = new TftpServer(
            new TftpServerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Root = Files.Root, RetransmitTimeout = TimeSpan.FromMilliseconds(300) },
            NullLogger<TftpServer>.Instance);
        await Server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Files.Dispose();
    }

    /// <summary>Fetches a file with tftp-hpa and checks its sha256: the server still serves others.</summary>
    public async Task AssertGoodTransferAsync(int? port = null, string file = "b1468x3.bin")
    {
        string local = Path.Combine(Path.GetTempPath(), $"fabric-tftp-good-{Guid.NewGuid():N}");
        try
        {
            var (exe, args) = TftpClients.Command("tftp-hpa", "127.0.0.1", port ?? Port, file, local);
            var result = await Proc.RunAsync(exe, args, TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode == 0, $"good client failed: {result.Stderr}{result.Stdout}");
            Assert.Equal(Files.Hash(file), TftpFiles.HashOf(local));
        }
        finally
        {
            File.Delete(local);
        }
    }
}

[CollectionDefinition("tftp")]
public sealed class TftpCollection : ICollectionFixture<TftpServerFixture>;

[Collection("tftp")]
public sealed class TftpRealClientTests(TftpServerFixture fixture)
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        string[] small = ["zero.bin", "b512.bin", "b1468x3.bin", "b1468x16.bin", "m1.bin"];
        foreach (var client in new[] { "tftp-hpa", "atftp-1468", "atftp-1468-w16", "curl-1468", "busybox-1468" })
        {
            foreach (var file in small)
            {
                data.Add(client, file);
            }
        }

        // Block-number rollover: 33 MiB at 512 bytes (67584 blocks), 100 MiB at 1468 (71429 blocks).
        data.Add("tftp-hpa", "m33.bin");
        data.Add("atftp", "m33.bin");
        data.Add("atftp-1468", "m100.bin");
        data.Add("atftp-1468-w16", "m100.bin");
        data.Add("curl-1468", "m100.bin");
        data.Add("busybox-1468", "m100.bin");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Get_RealClient_Sha256Matches(string client, string file)
    {
        string local = Path.Combine(Path.GetTempPath(), $"fabric-tftp-get-{Guid.NewGuid():N}");
        try
        {
            var (exe, args) = TftpClients.Command(client, "127.0.0.1", fixture.Port, file, local);
            var result = await Proc.RunAsync(exe, args, TimeSpan.FromSeconds(90));
            Assert.True(result.ExitCode == 0, $"{client} exited {result.ExitCode}: {result.Stderr}{result.Stdout}");
            Assert.Equal(fixture.Files.Hash(file), TftpFiles.HashOf(local));
        }
        finally
        {
            File.Delete(local);
        }
    }
}
