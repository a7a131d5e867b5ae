using System.Net;
using Fabric.Core;
using Fabric.Dhcp.Handlers;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Dhcp.Tests;

/// <summary>The real handler chain over an in-memory registry: one boot network, one reserved node.</summary>
internal sealed class ChainHarness
{
    public static readonly MacAddress NodeMac = MacAddress.Parse("52:54:00:00:00:01");
    public static readonly DhcpInterface Iface = new("veth0", IPAddress.Parse("10.9.0.1"));

    public ChainHarness(bool serveUnknown = true, bool proxy = false, LeaseEngineOptions? engineOptions = null)
    {
        Directory.Upsert(new Network("boot", IPNetwork.Parse("10.9.0.0/24"), IPAddress.Parse("10.9.0.1"), [IPAddress.Parse("10.9.0.2")],
            IPAddress.Parse("10.9.0.100"), IPAddress.Parse("10.9.0.199"), null, TimeSpan.FromHours(1), serveUnknown));
        Directory.Upsert(new Network("far", IPNetwork.Parse("10.50.0.0/24"), IPAddress.Parse("10.50.0.1"), [],
            IPAddress.Parse("10.50.0.100"), IPAddress.Parse("10.50.0.110"), null, TimeSpan.FromMinutes(10), true));
        Directory.Upsert(new Node { Name = "hnode01", Role = NodeRole.Hardware, Macs = [NodeMac], Ip = IPAddress.Parse("10.9.0.20"), Network = "boot" });
        Options = new DhcpServerOptions
        {
            Interfaces = ["veth0"],
            PublicUrl = "http://10.9.0.1:8080",
            TrustedRelays = [IPAddress.Parse("10.50.0.1")],
            Proxy = proxy,
            DataDir = "/nonexistent",
        };
        Engine = new LeaseEngine(Time, engineOptions);
        Pipeline = DhcpPipeline.Create(Options, Engine, Directory, Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public InMemoryFabricDirectory Directory { get; } = new();

    public DhcpServerOptions Options { get; }

    public LeaseEngine Engine { get; }

    public DhcpPipeline Pipeline { get; }

    /// <summary>Where requests come from unless a test says otherwise: a directly attached client's address.</summary>
    public static readonly IPAddress ClientSource = IPAddress.Parse("10.9.0.150");

    public async Task<(DhcpContext Context, DhcpPacket? Reply)> RunAsync(byte[] datagram, DhcpInterface? iface = null, IPAddress? source = null)
    {
        Assert.True(DhcpPacket.TryParse(datagram, out var request, out var error), error.ToString());
        var context = await Pipeline.RunAsync(request, iface ?? Iface, source ?? ClientSource, CancellationToken.None);
        var reply = DhcpPipeline.BuildReply(context);
        if (reply is not null)
        {
            // Every reply must survive the codec round trip.
            var bytes = reply.ToArray(DhcpPipeline.MaxReplySize(request));
            Assert.True(DhcpPacket.TryParse(bytes, out var reparsed, out var e2), e2.ToString());
            Assert.Equal(BootOp.Reply, reparsed.Op);
        }

        return (context, reply);
    }
}
