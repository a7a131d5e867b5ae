using Microsoft.Extensions.Logging;

namespace Fabric.Dhcp.Server;

internal sealed partial class DhcpServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "DHCP listening on {Interface} ({Address}) port {Port} ({Io})")]
        public static partial void Listening(ILogger logger, string @interface, string address, int port, string io);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "DHCP off: Fabric:Dhcp:Interfaces is empty")]
        public static partial void Off(ILogger logger);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Loaded {Count} leases from {Path}")]
        public static partial void Loaded(ILogger logger, int count, string path);

        [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, Message = "Malformed datagram on {Interface} from {Source}: {Reason}")]
        public static partial void Malformed(ILogger logger, string @interface, string source, string reason);

        [LoggerMessage(EventId = 1011, Level = LogLevel.Debug, Message = "Dropped {Type} mac={Mac} xid={Xid:x8} on {Interface}: {Reason}")]
        public static partial void Dropped(ILogger logger, string type, string mac, uint xid, string @interface, string reason);

        [LoggerMessage(EventId = 1012, Level = LogLevel.Debug, Message = "Request anomaly mac={Mac} xid={Xid:x8} on {Interface}: {Reason}")]
        public static partial void Anomaly(ILogger logger, string mac, uint xid, string @interface, string reason);

        [LoggerMessage(EventId = 1013, Level = LogLevel.Debug, Message = "{Type} mac={Mac} xid={Xid:x8} on {Interface} -> {Reply} {Address} to {Destination} node={Node}")]
        public static partial void Replied(ILogger logger, string type, string mac, uint xid, string @interface, string reply, string address, string destination, string? node);

        [LoggerMessage(EventId = 1020, Level = LogLevel.Error, Message = "Lease commit failed mac={Mac} xid={Xid:x8}; no ACK sent")]
        public static partial void CommitFailed(ILogger logger, Exception exception, string mac, uint xid);

        [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Send to {Destination} on {Interface} failed: {Error}")]
        public static partial void SendFailed(ILogger logger, string destination, string @interface, string error);

        [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "Receive on {Interface} failed: {Error}")]
        public static partial void ReceiveFailed(ILogger logger, string @interface, string error);

        [LoggerMessage(EventId = 1023, Level = LogLevel.Error, Message = "Unexpected error handling a request on {Interface}")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string @interface);
    }
}
