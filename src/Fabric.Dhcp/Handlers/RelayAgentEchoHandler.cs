using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Handlers;

/// <summary>RFC 3046 2.2: a server echoes the relay agent information option unchanged, as the last option.</summary>
internal sealed class RelayAgentEchoHandler : IDhcpHandler
{
    public ValueTask<HandlerResult> HandleAsync(DhcpContext context, CancellationToken cancellationToken)
    {
        if (context.Reply is { } reply && context.Request.Options.Get(DhcpOptionCode.RelayAgentInformation) is { } info)
        {
            reply.Options.Remove(DhcpOptionCode.RelayAgentInformation);
            reply.Options.Set(DhcpOptionCode.RelayAgentInformation, info);
        }

        return ValueTask.FromResult(HandlerResult.Continue);
    }
}
