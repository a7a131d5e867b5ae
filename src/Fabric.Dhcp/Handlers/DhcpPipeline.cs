using System.Net;
using System.Text;
using Fabric.Core;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Handlers;

/// <summary>The ordered handler chain, and the one place a reply message is assembled from the request
/// and the handlers' answer (RFC 2131 table 3).</summary>
internal sealed class DhcpPipeline(IReadOnlyList<IDhcpHandler> handlers)
{
    private readonly IDhcpHandler[] _handlers = [.. handlers];

    public IReadOnlyList<IDhcpHandler> Handlers => _handlers;

    public static DhcpPipeline Create(DhcpServerOptions options, LeaseEngine engine, IFabricDirectory directory, TimeProvider time)
    {
        var relays = options.TrustedRelays.Select(Ipv4.ToUInt32).ToHashSet();
        IDhcpHandler[] chain = options.Proxy
            ? [new RequestValidationHandler(relays), new ProxyDhcpHandler(), new NetbootHandler(options), new RelayAgentEchoHandler()]
            :
            [
                new RequestValidationHandler(relays),
                new NetworkSelectionHandler(directory, time),
                new ReservationHandler(directory),
                new LeaseHandler(engine, directory),
                new NetbootHandler(options),
                new RelayAgentEchoHandler(),
            ];
        return new DhcpPipeline(chain);
    }

    /// <param name="source">The datagram's UDP source address.</param>
    public async ValueTask<DhcpContext> RunAsync(DhcpPacket request, DhcpInterface iface, IPAddress source, CancellationToken cancellationToken)
    {
        var context = new DhcpContext(request, iface, source);
        foreach (var handler in _handlers)
        {
            if (await handler.HandleAsync(context, cancellationToken).ConfigureAwait(false) == HandlerResult.Stop)
            {
                break;
            }
        }

        return context;
    }

    /// <summary>The reply message for a context with a reply, or null.</summary>
    public static DhcpPacket? BuildReply(DhcpContext context)
    {
        if (context.Reply is not { } reply)
        {
            return null;
        }

        var req = context.Request;
        // Message type first (RFC 2131 does not require it, but some PXE ROMs look for it there).
        var options = reply.Options.BuildWithFirst(new DhcpOption(DhcpOptionCode.MessageType, MessageTypeValue(reply.MessageType)));

        byte[] file = [];
        if (reply.BootFile is { } name)
        {
            var bytes = BootFileBytes(name);
            if (bytes.Length < 128)
            {
                file = bytes;
            }
        }

        bool keepCiaddr = reply.MessageType == DhcpMessageType.Ack;
        return new DhcpPacket
        {
            Op = BootOp.Reply,
            HardwareType = req.HardwareType,
            HardwareLength = req.HardwareLength,
            TransactionId = req.TransactionId,
            Flags = req.Flags,
            ClientAddress = keepCiaddr ? req.ClientAddress : 0,
            YourAddress = reply.MessageType == DhcpMessageType.Nak ? 0 : reply.YourAddress,
            ServerAddress = reply.ServerAddress,
            GatewayAddress = req.GatewayAddress,
            ClientHardwareAddress = req.ClientHardwareAddress,
            BootFile = file,
            Options = options,
        };
    }

    private static readonly byte[][] MessageTypeValues = [.. Enumerable.Range(0, 256).Select(t => new[] { (byte)t })];

    /// <summary>Option 53's one-byte value, shared (option values are never written to once built).</summary>
    private static byte[] MessageTypeValue(DhcpMessageType type) => MessageTypeValues[(byte)type];

    private static (string Name, byte[] Bytes) _lastBootFile = ("", []);

    /// <summary>The boot file name's bytes, reused while the name repeats (it is one of a few configured names).</summary>
    private static byte[] BootFileBytes(string name)
    {
        var last = _lastBootFile;
        if (ReferenceEquals(last.Name, name) || last.Name == name)
        {
            return last.Bytes;
        }

        var bytes = Encoding.ASCII.GetBytes(name);
        _lastBootFile = (name, bytes);
        return bytes;
    }

    /// <summary>The size a reply may have: the client's option 57 when sane (RFC 2132 9.10: at least 576),
    /// capped at an Ethernet frame.</summary>
    public static int MaxReplySize(DhcpPacket request) =>
        request.Options.MaxMessageSize is { } m && m >= DhcpPacket.DefaultMaxMessageSize ? Math.Min((int)m, 1500) : DhcpPacket.DefaultMaxMessageSize;
}
