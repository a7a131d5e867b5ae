using Microsoft.Extensions.Logging;

namespace Fabric.Jobs.Running;

/// <summary>The runner's log messages; event IDs 1100-1199 belong to Fabric.Jobs.</summary>
internal sealed partial class JobRunner
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "job {Job} queued: {Kind} on {Node} by {Actor}")]
        public static partial void Queued(ILogger logger, long job, string kind, string? node, string actor);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "job {Job} started: {Kind} on {Node}, attempt {Attempt}")]
        public static partial void Started(ILogger logger, long job, string kind, string? node, int attempt);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "job {Job} ({Kind}) {State}: {Error}")]
        public static partial void Finished(ILogger logger, long job, string kind, string state, string? error);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "job {Job}: the {Kind} handler threw")]
        public static partial void HandlerThrew(ILogger logger, Exception exception, long job, string kind);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "job {Job}: its final state could not be recorded")]
        public static partial void FinalWriteFailed(ILogger logger, Exception exception, long job);
    }
}
