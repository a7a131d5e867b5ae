namespace Fabric.Integration.Dhcp;

/// <summary>Relay trust on the wire: a relayed DISCOVER (giaddr = the trusted relay 10.78.0.2) is answered only when
/// the datagram really comes from that relay's address. The sender is the test's own socket (a small Python script
/// in the client namespace), since a packaged relay or load generator always writes its own address as giaddr.</summary>
[Collection("dhcp-lab")]
public sealed class RelayTrustTests
{
    // Sends one relayed DISCOVER from <source>:67 with giaddr <giaddr> to the server and waits for a reply to
    // giaddr:67; prints "type=<53> yiaddr=<a>" for the reply, or "none" after the wait.
    private const string Relay = """
        import socket, struct, sys
        source, giaddr, mac, server = sys.argv[1:5]
        chaddr = bytes.fromhex(mac.replace(':', ''))
        send = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        send.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        send.bind((source, 67))
        listen = send
        if giaddr != source:
            listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listen.bind((giaddr, 67))
        listen.settimeout(3.0)
        pkt = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 1, 0x5eed0002, 0, 0,
                          bytes(4), bytes(4), bytes(4), socket.inet_aton(giaddr), chaddr + bytes(10), bytes(64), bytes(128))
        opts = b'\x63\x82\x53\x63' + bytes([53, 1, 1, 82, 4, 1, 2, 0xaa, 0xbb, 255])
        send.sendto(pkt + opts, (server, 67))
        try:
            while True:
                data, _ = listen.recvfrom(2048)
                if len(data) >= 240 and data[0] == 2 and data[4:8] == struct.pack('!I', 0x5eed0002):
                    print(f"type={data[242]} yiaddr={socket.inet_ntoa(data[16:20])}")
                    break
        except socket.timeout:
            print('none')
        """;

    [Fact]
    public async Task RelayedDiscover_GiaddrTrustedButSourceNot_NoReplyNoLease()
    {
        await using var lab = new DhcpLab("relay");
        await lab.SetUpAsync();
        DhcpLab.Sh($"ip -n {lab.ClientNs} addr add 10.78.0.2/16 dev {DhcpLab.ClientIf}");
        DhcpLab.Sh($"ip -n {lab.ClientNs} addr add 10.78.0.60/16 dev {DhcpLab.ClientIf}");
        await lab.StartServerAsync();
        var script = Path.Combine(lab.Dir, "relay.py");
        await File.WriteAllTextAsync(script, Relay);
        async Task<string> Send(string source, string mac)
        {
            var (exit, stdout, stderr) = await DhcpLab.RunAsync(lab.ClientNs, TimeSpan.FromSeconds(30), "python3", script, source, "10.78.0.2", mac, "10.78.0.1");
            Assert.True(exit == 0, $"sender exited {exit}: {stderr}\n{lab.ServerLog}");
            return stdout.Trim();
        }

        // A host on the wire writes the trusted relay's address into giaddr: dropped, nothing held for it.
        Assert.Equal("none", await Send("10.78.0.60", "52:54:00:66:00:01"));
        Assert.Contains("untrusted relay", lab.ServerLog.ToString(), StringComparison.Ordinal);

        // The relay itself: answered, to giaddr on port 67.
        Assert.StartsWith("type=2 yiaddr=10.78.", await Send("10.78.0.2", "52:54:00:66:00:02"), StringComparison.Ordinal);
        Assert.Empty(lab.ReadLeases());
    }
}
