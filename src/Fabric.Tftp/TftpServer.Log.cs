using System.Net;
using Microsoft.Extensions.Logging;

namespace Fabric.Tftp;

public sealed partial class TftpServer
{
    // Every client-supplied string (file names, messages about them) is passed through LogText.Escape first.
    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "TFTP listening on {Endpoint}, serving {Root}")]
        public static partial void Listening(ILogger logger, IPEndPoint endpoint, string root);

        [LoggerMessage(2002, LogLevel.Information, "TFTP {Client} {File}: sending {Length} bytes, blksize {BlockSize}, windowsize {WindowSize}")]
        public static partial void TransferStarted(ILogger logger, IPEndPoint client, string file, long length, int blockSize, int windowSize);

        [LoggerMessage(2003, LogLevel.Information, "TFTP {Client} {File}: done, {Bytes} bytes in {ElapsedMs} ms, {Retransmits} retransmitted")]
        public static partial void TransferCompleted(ILogger logger, IPEndPoint client, string file, long bytes, long elapsedMs, long retransmits);

        [LoggerMessage(2004, LogLevel.Warning, "TFTP {Client} {File}: failed ({Reason}) after {Bytes} bytes, blksize {BlockSize}, windowsize {WindowSize}")]
        public static partial void TransferFailed(ILogger logger, IPEndPoint client, string file, string reason, long bytes, int blockSize, int windowSize);

        [LoggerMessage(2005, LogLevel.Information, "TFTP {Client} {File}: refused with error {Code} ({Message})")]
        public static partial void Refused(ILogger logger, IPEndPoint client, string file, int code, string message);

        [LoggerMessage(2006, LogLevel.Debug, "TFTP {Client}: malformed request ({Message})")]
        public static partial void MalformedRequest(ILogger logger, IPEndPoint client, string message);

        [LoggerMessage(2007, LogLevel.Warning, "TFTP {Client} {File}: server busy ({Active} transfers)")]
        public static partial void Busy(ILogger logger, IPEndPoint client, string file, int active);

        [LoggerMessage(2012, LogLevel.Debug, "TFTP {Client} {File}: repeated request ignored, its transfer is already answering")]
        public static partial void DuplicateRequest(ILogger logger, IPEndPoint client, string file);

        [LoggerMessage(2008, LogLevel.Debug, "TFTP {Client}: evicted a transfer never acknowledged to admit a new request")]
        public static partial void Evicted(ILogger logger, IPEndPoint client);

        [LoggerMessage(2009, LogLevel.Debug, "TFTP transient socket error {Error} on {Endpoint}")]
        public static partial void TransientSocketError(ILogger logger, System.Net.Sockets.SocketError error, EndPoint? endpoint);

        [LoggerMessage(2010, LogLevel.Error, "TFTP socket on {Endpoint} failed")]
        public static partial void FatalSocketError(ILogger logger, Exception exception, EndPoint? endpoint);

        [LoggerMessage(2013, LogLevel.Warning, "TFTP {Client} {File}: refused, the address already holds {Limit} transfers")]
        public static partial void ClientLimited(ILogger logger, IPEndPoint client, string file, int limit);

        [LoggerMessage(2011, LogLevel.Debug, "TFTP {Client}: datagram from unknown transfer id {Stranger}, answered error 5")]
        public static partial void UnknownTransferId(ILogger logger, IPEndPoint client, string stranger);
    }
}
