namespace Fabric.Integration.Dhcp;

/// <summary>proxyDHCP mode on the wire: another server hands out addresses (the client namespace already has
/// one); Fabric answers PXE clients only, a ProxyDHCPOFFER on port 67 and a ProxyDHCPACK on port 4011, and never
/// binds an address. The client is the test's own socket (a small Python script run in the client namespace),
/// because none of the packaged DHCP clients speak to port 4011; iPXE does, as the PXE specification says.</summary>
[Collection("dhcp-lab")]
public sealed class ProxyDhcpTests
{
    // Sends one DHCP message and prints every reply as "port=<source port> type=<53> yiaddr=<a> siaddr=<a>
    // file=<name> vendor=<option 60> server=<option 54> pxe=<option 43 hex>", or "none" after the wait.
    private const string Client = """
        import socket, struct, sys
        iface, mac, kind, dest, dport, ciaddr, pxe = sys.argv[1:8]
        chaddr = bytes.fromhex(mac.replace(':', ''))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.setsockopt(socket.SOL_SOCKET, 25, iface.encode() + b'\0')
        s.bind(('0.0.0.0', 68))
        s.settimeout(2.0)
        msg = {'discover': 1, 'request': 3}[kind]
        pkt = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, 0x5eed0001, 0, 0x8000 if ciaddr == '0.0.0.0' else 0,
                          socket.inet_aton(ciaddr), bytes(4), bytes(4), bytes(4), chaddr + bytes(10), bytes(64), bytes(128))
        opts = b'\x63\x82\x53\x63' + bytes([53, 1, msg])
        if pxe == 'pxe':
            vendor = b'PXEClient:Arch:00000:UNDI:002001'
            opts += bytes([60, len(vendor)]) + vendor + bytes([93, 2, 0, 0, 94, 3, 1, 2, 1, 97, 17, 0]) + bytes(range(16))
        opts += bytes([55, 4, 1, 3, 43, 60, 255])
        s.sendto(pkt + opts, (dest, int(dport)))
        got = False
        while True:
            try:
                data, (addr, port) = s.recvfrom(2048)
            except socket.timeout:
                break
            if len(data) < 240 or data[0] != 2 or data[4:8] != struct.pack('!I', 0x5eed0001):
                continue
            got = True
            o, i = {}, 240
            while i < len(data) and data[i] != 255:
                if data[i] == 0:
                    i += 1
                    continue
                o[data[i]] = data[i + 2:i + 2 + data[i + 1]]
                i += 2 + data[i + 1]
            f = data[108:236].split(b'\0')[0].decode()
            print(f"port={port} type={o.get(53, b'?')[0]} yiaddr={socket.inet_ntoa(data[16:20])} siaddr={socket.inet_ntoa(data[20:24])} "
                  f"file={f} vendor={o.get(60, b'').decode()} server={socket.inet_ntoa(o[54]) if 54 in o else ''} pxe={o.get(43, b'').hex()}")
        if not got:
            print('none')
        """;

    private static Dictionary<string, string> Fields(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f.Length > 1 ? f[1] : "");

    [Fact]
    public async Task ProxyMode_PxeClient_OfferOn67AckOn4011_NoAddressBound()
    {
        await using var lab = new DhcpLab("proxy", proxy: true);
        await lab.SetUpAsync();
        // The site's own DHCP server gave the client its address already.
        DhcpLab.Sh($"ip -n {lab.ClientNs} addr add 10.78.0.2/16 dev {DhcpLab.ClientIf}");
        await lab.StartServerAsync();
        var script = Path.Combine(lab.Dir, "pxeclient.py");
        await File.WriteAllTextAsync(script, Client);
        async Task<string> Ask(string kind, string dest, int port, string ciaddr, string pxe)
        {
            var (exit, stdout, stderr) = await DhcpLab.RunAsync(lab.ClientNs, TimeSpan.FromSeconds(30), "python3",
                script, DhcpLab.ClientIf, DhcpLab.NodeMac, kind, dest, port.ToString(System.Globalization.CultureInfo.InvariantCulture), ciaddr, pxe);
            Assert.True(exit == 0, $"client exited {exit}: {stderr}\n{lab.ServerLog}");
            return stdout.Trim();
        }

        // A PXE DISCOVER broadcast to port 67: a ProxyDHCPOFFER with no address, the boot file and PXEClient.
        var offer = Fields(await Ask("discover", "255.255.255.255", 67, "0.0.0.0", "pxe"));
        Assert.Equal("2", offer["type"]);
        Assert.Equal("67", offer["port"]);
        Assert.Equal("0.0.0.0", offer["yiaddr"]);
        Assert.Equal("10.78.0.1", offer["siaddr"]);
        Assert.Equal("10.78.0.1", offer["server"]);
        Assert.Equal("PXEClient", offer["vendor"]);
        Assert.Equal("undionly.kpxe", offer["file"]);
        Assert.Equal("060108ff", offer["pxe"]);

        // The ProxyDHCPREQUEST unicast to port 4011 from the client's address: the ACK comes from port 4011.
        var ack = Fields(await Ask("request", "10.78.0.1", 4011, "10.78.0.2", "pxe"));
        Assert.Equal("5", ack["type"]);
        Assert.Equal("4011", ack["port"]);
        Assert.Equal("0.0.0.0", ack["yiaddr"]);
        Assert.Equal("undionly.kpxe", ack["file"]);
        Assert.Equal("PXEClient", ack["vendor"]);

        // A plain (non-PXE) client gets nothing from a proxy: its address comes from the other server.
        Assert.Equal("none", await Ask("discover", "255.255.255.255", 67, "0.0.0.0", "plain"));

        // No lease was ever bound.
        Assert.Empty(lab.ReadLeases());
    }
}
