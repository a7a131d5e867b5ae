using Fabric.Core;
using Fabric.Dhcp.Netboot;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Handlers;

/// <summary>Adds the boot answer to OFFERs and ACKs: file / option 67, siaddr (next-server) and option 66
/// for TFTP files, option 60 echoed for PXE and HTTP boot clients.</summary>
internal sealed class NetbootHandler(DhcpServerOptions options) : IDhcpHandler
{
    public ValueTask<HandlerResult> HandleAsync(DhcpContext context, CancellationToken cancellationToken)
    {
        var reply = context.Reply;
        if (reply is null || reply.MessageType is not (DhcpMessageType.Offer or DhcpMessageType.Ack))
        {
            return ValueTask.FromResult(HandlerResult.Continue);
        }

        var decision = NetbootRules.Decide(context.Request.Options, context.Mac, options.PublicUrl, options.BootFiles);
        if (decision.VendorClass is not null)
        {
            reply.Options.SetString(DhcpOptionCode.VendorClassIdentifier, decision.VendorClass);
        }

        if (decision.FileName is not null)
        {
            reply.BootFile = decision.FileName;
            reply.Options.SetString(DhcpOptionCode.BootFileName, decision.FileName);
            if (decision.UseNextServer)
            {
                var next = options.TftpServer ?? context.Interface.Address;
                reply.ServerAddress = Ipv4.ToUInt32(next);
                reply.Options.SetString(DhcpOptionCode.TftpServerName, next.ToString());
            }
        }

        return ValueTask.FromResult(HandlerResult.Continue);
    }
}
