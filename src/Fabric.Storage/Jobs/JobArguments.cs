using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry.Images;

namespace Fabric.Storage.Jobs;

/// <summary>Checks of the storage jobs' string arguments, each problem naming <c>arguments.KEY</c>.</summary>
internal static class JobArguments
{
    public static void Only(IReadOnlyDictionary<string, string> arguments, string kind, IReadOnlyCollection<string> keys, List<JobFieldError> errors)
    {
        foreach (var key in arguments.Keys.Where(k => !keys.Contains(k)))
        {
            errors.Add(new JobFieldError($"arguments.{key}", $"a {kind} job takes only {string.Join(", ", keys.Select(k => $"'{k}'"))}"));
        }
    }

    public static void Name(IReadOnlyDictionary<string, string> arguments, string key, string what, bool required, List<JobFieldError> errors)
    {
        if (!arguments.TryGetValue(key, out var value))
        {
            if (required)
            {
                errors.Add(new JobFieldError($"arguments.{key}", $"a {what} name is required"));
            }

            return;
        }

        if (StorageNames.Problem(value, what) is { } problem)
        {
            errors.Add(new JobFieldError($"arguments.{key}", problem));
        }
    }

    public static void Pair(IReadOnlyDictionary<string, string> arguments, List<JobFieldError> errors)
    {
        if (!arguments.TryGetValue("pair", out var pair))
        {
            errors.Add(new JobFieldError("arguments.pair", "a pair is required"));
        }
        else if (!HostName.TryNormalize(pair, out _, out var reason))
        {
            errors.Add(new JobFieldError("arguments.pair", reason));
        }
    }

    public static void Size(IReadOnlyDictionary<string, string> arguments, string key, List<JobFieldError> errors)
    {
        if (!arguments.TryGetValue(key, out var text))
        {
            errors.Add(new JobFieldError($"arguments.{key}", "a size in bytes is required"));
        }
        else if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size <= 0)
        {
            errors.Add(new JobFieldError($"arguments.{key}", $"'{text}' is not a positive number of bytes"));
        }
    }

    public static string Required(IJobContext context, string key) =>
        context.Job.Arguments.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new JobFailedException($"the job has no '{key}' argument");

    public static long Bytes(IJobContext context, string key) =>
        long.Parse(Required(context, key), NumberStyles.None, CultureInfo.InvariantCulture);

    public static Actor ActorOf(IJobContext context) => Actor.Job(context.Job.Id.ToString(CultureInfo.InvariantCulture));
}
