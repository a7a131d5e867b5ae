namespace Fabric.Cli;

/// <summary>The <c>fabric</c> command's entry point. An explicit class in the Fabric.Cli namespace, so that it never
/// clashes with the appliance's global <c>Program</c> in assemblies that reference both.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        return await CliApp.RunAsync(args, new CliEnvironment(Console.Out, Console.Error, Environment.GetEnvironmentVariable, Environment.CurrentDirectory), cancel.Token);
    }
}
