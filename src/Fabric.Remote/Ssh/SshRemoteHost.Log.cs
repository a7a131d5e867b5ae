using Microsoft.Extensions.Logging;

namespace Fabric.Remote.Ssh;

/// <summary>Event IDs 5000-5099 belong to Fabric.Remote.</summary>
internal sealed partial class SshRemoteHost
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "SSH {Kind} connection to {Target} open (host key {Fingerprint})")]
        public static partial void Connected(ILogger logger, string kind, string target, string fingerprint);

        [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "SSH connection to {Target} failed (attempt {Attempt}), retrying in {Delay}: {Reason}")]
        public static partial void Retrying(ILogger logger, string target, int attempt, TimeSpan delay, string reason);

        [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "SSH host key mismatch at {Target}: pinned {Expected}, presented {PresentedType} {Presented}; nothing run")]
        public static partial void HostKeyMismatch(ILogger logger, string target, string expected, string presentedType, string presented);

        [LoggerMessage(EventId = 6004, Level = LogLevel.Debug, Message = "{Target}: '{Command}' exited {ExitCode} in {Elapsed}")]
        public static partial void CommandExited(ILogger logger, string target, string command, int exitCode, TimeSpan elapsed);

        [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "{Target}: '{Command}' stopped: {Reason}")]
        public static partial void CommandStopped(ILogger logger, string target, string command, string reason);

        [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "{Target}: uploaded {Bytes} bytes to {Path}")]
        public static partial void Uploaded(ILogger logger, string target, long bytes, string path);
    }
}
