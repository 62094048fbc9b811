using Microsoft.Extensions.Options;

namespace Relay;

public static class StartupGuard
{
    // Hosted by someone else (a test host), the error belongs to that host.
    private static bool IsOwnProcess => System.Reflection.Assembly.GetEntryAssembly() == typeof(StartupGuard).Assembly;

    /// <summary>
    /// Runs the app; a setting that is missing or malformed stops the process with one readable line
    /// naming the setting instead of a stack trace.
    /// </summary>
    public static int RunOrExplain(this WebApplication app)
    {
        try
        {
            app.Run();
            return 0;
        }
        catch (OptionsValidationException e) when (IsOwnProcess)
        {
            Console.Error.WriteLine("Configuration error: " + string.Join(" ", e.Failures));
            return 1;
        }
        catch (InvalidOperationException e) when (IsOwnProcess && e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("Configuration error: " + e.Message);
            return 1;
        }
    }
}
