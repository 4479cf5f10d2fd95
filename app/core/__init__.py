"""What every area uses: database types, mail, security headers, languages, pagination."""
