using Microsoft.Extensions.Logging;

namespace Fabric.Remote.Ssh;

internal sealed partial class SshRemoteChannel
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 6007, Level = LogLevel.Debug, Message = "{Target}: channel '{Command}' exited {ExitCode} after {Elapsed}")]
        public static partial void ChannelExited(ILogger logger, string target, string command, int exitCode, TimeSpan elapsed);

        [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "{Target}: channel '{Command}' stopped: {Reason}")]
        public static partial void ChannelStopped(ILogger logger, string target, string command, string reason);
    }
}
